from nkfmt import nkprint
import numpy as np
a = np.arange(0.0, 12.0).reshape(3, 4); b = (np.arange(0.0, 8.0) - 3.0).reshape(4, 2)
c = a @ b
nkprint(c); nkprint(True); nkprint(b.T @ a.T)
