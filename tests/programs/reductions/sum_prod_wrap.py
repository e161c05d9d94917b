from nkfmt import nkprint
import numpy as np
with np.errstate(over="ignore"):
    nkprint(np.full(3, 4611686018427387904, dtype=np.int64).sum())
    p = np.full(64, 2, dtype=np.int64); nkprint(p.prod(), p[1:].prod())
    nkprint(np.arange(1, 26, dtype=np.int64).prod())
