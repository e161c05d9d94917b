from nkfmt import nkprint
import numpy as np
a = np.arange(-2, 3)
nkprint(a ** 2, a ** 3, a ** 0)
f = a.astype(float)
with np.errstate(invalid="ignore"):
    nkprint(f ** 2, f ** 0.5 > 0.0, 2.0 ** f)
