from nkfmt import nkprint
import numpy as np
m = np.arange(6).reshape(2, 3)
nkprint(m, m.T); nkprint(m.T.shape); nkprint(m.T.reshape(6))
t = np.arange(0.0, 8.0).reshape(2, 2, 2)
nkprint(t); nkprint(t[1, 0, 1], t[-1, -1, -1])
sq = np.arange(4).reshape(2, 2); nkprint(sq.T + sq)
