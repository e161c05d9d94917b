from nkfmt import nkprint
import numpy as np
a = np.zeros(4); a[0] = 1; a[1:3] = 7; a[3:] = np.arange(1)
m = np.zeros((2, 2)); m[0, 0] = 3; m[1, :] = np.arange(2) + 5
nkprint(a); nkprint(m)
