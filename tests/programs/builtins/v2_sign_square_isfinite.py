from nkfmt import nkprint
import numpy as np
nan = float("nan"); inf = float("inf")
x = np.array([-2.5, -0.0, 0.0, nan, inf, -inf, 1e-320])
nkprint(np.sign(x), np.sign(np.arange(5) - 2), np.sign(np.zeros(0)))
nkprint(np.sign((np.arange(6) - 3).reshape(2, 3)), np.sign(np.linspace(-1.0, 1.0, 4).reshape(2, 2)))
with np.errstate(over="ignore"):
    nkprint(np.square(x), np.square(np.arange(4) - 1), np.square(3), np.square(-1.5))
    nkprint(np.square(np.full(2, 3037000500)), np.square(np.arange(4).reshape(2, 2)))
nkprint(np.isfinite(x), np.isfinite(np.arange(3)), np.isfinite(nan), np.isfinite(-inf), np.isfinite(2.5), np.isfinite(7))
nkprint(np.isfinite(x[0:6].reshape(2, 3)))
nkprint(np.isnan(x), np.isinf(x), np.isnan(np.arange(3)), np.isinf(np.arange(3)))
nkprint(np.isnan(x[0:6].reshape(3, 2)), np.isinf(x[0:6].reshape(3, 2)))
