from nkfmt import nkprint
import numpy as np
a = np.zeros(3); b = np.arange(4); c = b > 1
nkprint(a, b, c)
nkprint(np.ones((2, 2)))
nkprint(np.zeros((2, 1, 2)))
nkprint((2, a))
