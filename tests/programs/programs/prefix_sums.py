from nkfmt import nkprint
import numpy as np
a = np.arange(1, 11) * np.arange(1, 11) % 7
p = np.concatenate([[0], np.cumsum(a)])
nkprint(a); nkprint(p); nkprint(True); nkprint(p[5] - p[2], a[2:5].sum())
