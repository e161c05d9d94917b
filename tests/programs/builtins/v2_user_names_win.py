from nkfmt import nkprint
import numpy as np
nkprint(5.0 - 1.5, 42, 2)
nkprint(np.unique(np.arange(6) % 3), np.trace(np.eye(4)), np.searchsorted(np.arange(5), np.arange(3) + 1))
