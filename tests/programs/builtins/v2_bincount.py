from nkfmt import nkprint
import numpy as np
x = np.arange(20) * 7 % 6
nkprint(np.bincount(x), np.bincount(np.arange(0)), np.bincount(np.arange(1)))
nkprint(np.bincount(np.full(3, 5)), np.bincount(np.arange(6) > 2))
nkprint(np.bincount(np.ravel((np.arange(12) % 4).reshape(3, 4))))
nkprint(np.bincount(x[3:9]))
