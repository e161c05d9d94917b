from nkfmt import nkprint
import numpy as np
a = np.arange(0.0, 6.0); b = a[0:3] + a[3:6]; b[0] = 100.0
nkprint(a, b); nkprint(a)
m = np.arange(4).reshape(2, 2)
nkprint(m[0, :] * m[1, :], int(np.dot(m[0, :], m[1, :])))
