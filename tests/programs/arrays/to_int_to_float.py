from nkfmt import nkprint
import numpy as np
f = np.linspace(-2.0, 2.0, 9)
nkprint(np.trunc(f).astype(np.int64)); nkprint(np.trunc(f * 1.5).astype(np.int64))
m = np.arange(4).astype(float).reshape(2, 2)
nkprint(m, np.trunc(m / 3.0).astype(np.int64))
nkprint(np.arange(3).astype(float) / 2)
