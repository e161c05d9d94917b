from nkfmt import nkprint
import numpy as np
a = np.arange(6); m = a.reshape(3, 2); c = m.copy(); c[0, 0] = 50
nkprint(a, m, c)
z = np.zeros(8).reshape(2, 2, 2); nkprint(z, 3)
nkprint(np.arange(0.0, 6.0))
