from nkfmt import nkprint
import numpy as np
nkprint(np.zeros(3), np.ones(2), np.full(3, 7), np.full(2, 0.5), np.full(2, True))
nkprint(np.zeros((2, 3)))
nkprint(np.ones((2, 1, 2)))
nkprint(np.full((2, 2), 4))
nkprint(np.zeros(0), 5, (3, 2))
