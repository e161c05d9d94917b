from nkfmt import nkprint
import numpy as np
a = np.arange(-3, 3); b = np.full(6, 4) - np.arange(6)
nkprint(a + b, a - b, a * b)
nkprint(a // 2, a % 4, a % -4, a // -4)
with np.errstate(divide="ignore", invalid="ignore"):
    nkprint(a.astype(float) / b.astype(float))
m = np.arange(1.0, 7.0).reshape(2, 3)
nkprint(m * m - m, m / 2.0)
