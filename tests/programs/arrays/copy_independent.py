from nkfmt import nkprint
import numpy as np
m = np.arange(0.0, 4.0).reshape(2, 2); c = m.copy(); c[0, 0] = 100.0
row = m[1, :].copy(); row[0] = -1.0
nkprint(m, c, row)
