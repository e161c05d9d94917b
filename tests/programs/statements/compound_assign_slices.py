from nkfmt import nkprint
import numpy as np
n = 6; a = np.zeros(n); v = np.ones(n - 2)
a[1:n-1] += v; a[:2] += 10.0; a[3:] *= 2.0; a[:] -= 0.5; a[2:4] /= 2
nkprint(a)
m = np.arange(0.0, 12.0).reshape(3, 4)
m[1, :] *= 2.0; m[:, 0] += 100.0; m[0:2, 2:4] -= np.ones((2, 2)); m[2, 1:3] += np.arange(2)
nkprint(m)
