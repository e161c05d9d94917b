from nkfmt import nkprint
import numpy as np
nkprint(np.arange(5), np.arange(2, 6), np.arange(1, 10, 3), np.arange(10, 0, -4))
nkprint(np.arange(0.0, 2.0, 0.5), np.arange(1, 2.5, 0.5), np.arange(3.0), np.arange(0, 1, 0.25))
nkprint(np.arange(0), np.arange(5, 2), np.arange(-3, 0))
