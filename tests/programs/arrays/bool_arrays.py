from nkfmt import nkprint
import numpy as np
b = np.arange(4) % 2 == 0
nkprint(b, b[0], b[1]); b[1] = True
nkprint(b, b.astype(np.int64), b.astype(float))
c = np.full(3, False); nkprint(c, False, True)
