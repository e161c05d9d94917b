from nkfmt import nkprint
import numpy as np
a = np.zeros(6); v = a[2:5]; v[0] = 1.0; v[2] = 3.0
nkprint(a)
v += 10.0; nkprint(a, v)
w = v[1:]; w[0] = -1.0; nkprint(a, len(w))
