from nkfmt import nkprint
import numpy as np
nan = float("nan")
nkprint(np.sign(-2.5), np.sign(0.0), np.sign(7), np.sign(-3), np.sign(nan))
nkprint(np.log2(8.0), np.log2(10), np.log1p(1e-10), np.expm1(1e-10), np.log1p(0.5), np.expm1(-0.25))
nkprint(np.hypot(3.0, 4.0), np.hypot(5, 12), np.hypot(1e300, 1e300))
nkprint(np.isclose(1.0, 1.0 + 1e-9), np.isclose(1.0, 1.1), np.isclose(nan, nan), np.isclose(2, 2))
nkprint(np.count_nonzero(0.0), np.count_nonzero(3), np.count_nonzero(nan), np.count_nonzero(False))
xp = np.linspace(0.0, 4.0, 5)
fp = xp * xp
nkprint(np.interp(2.5, xp, fp), np.interp(-1.0, xp, fp), np.interp(9, xp, fp))
nkprint(np.searchsorted(xp, 2.5), np.searchsorted(xp, 2.0), np.searchsorted(xp, -1), np.searchsorted(xp, nan))
nkprint(np.hypot(3.0, np.linspace(0.0, 4.0, 3)), np.isclose(np.linspace(0.0, 1.0, 3), 0.5))
s = np.sign(-4.0) * 2.0
nkprint(s)
