from nkfmt import nkprint
import math
import numpy as np
nan = float("nan"); inf = float("inf")
nkprint(np.sign(-3), np.sign(0), np.sign(9), np.sign(-0.0), np.sign(nan), np.sign(-inf), np.sign(2.5))
nkprint(np.searchsorted(np.arange(5), 3), np.searchsorted(np.arange(5), 2.5), np.searchsorted(np.arange(5), -1))
nkprint(np.interp(2.5, np.arange(5), np.arange(5) * 2), np.interp(9, np.arange(5), np.arange(5) * 2), np.interp(-1.0, np.arange(5), np.arange(5) * 2))
nkprint(np.isclose(1.0, 1.000001), np.isclose(inf, inf), np.isclose(nan, nan), np.isclose(3, 3))
nkprint(math.hypot(3, 4), math.log2(8), math.log1p(1e-10), math.expm1(1e-10), math.log1p(0), math.expm1(0))
