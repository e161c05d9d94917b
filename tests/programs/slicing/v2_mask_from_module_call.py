import numpy as np
from nkfmt import nkprint

v = np.arange(4) * 1.5
o = np.outer(np.ones(4), np.arange(4) - 1.0)
m = np.any(o > 0.5, axis=0)
nkprint(m, v[m], np.std(v[m]), np.mean(v[m]), np.sum(v[np.any(np.outer(np.ones(2), np.arange(4)) > 2.5, axis=0)]))
