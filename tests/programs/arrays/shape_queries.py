import numpy as np
from nkfmt import nkprint
a = np.arange(6); m = np.zeros((2, 3)); t = np.ones((4, 3, 2))
for x in (a, m, t):
    nkprint(len(x), x.shape, x.size, x.ndim)
s = m.shape
nkprint(s[0] * s[1])
r, c = m.shape
nkprint(r, c)
