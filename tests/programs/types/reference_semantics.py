from nkfmt import nkprint
import numpy as np
a = np.zeros(3); b = a; b[0] = 5.0
nkprint(a)
c = a.copy(); c[1] = 7.0
nkprint(a, c)
m = np.zeros((2, 2)); n = m; n[1, 1] = 1.0
nkprint(m)
