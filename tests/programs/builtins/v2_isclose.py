from nkfmt import nkprint
import numpy as np
nan = float("nan"); inf = float("inf")
a = np.array([1.0, 1e10, 1e-9, 0.0, inf, inf, nan, 5.0])
b = np.array([1.0 + 1e-6, 1.00001e10, 0.0, 1e-7, inf, -inf, nan, inf])
nkprint(np.isclose(a, b), np.isclose(b, a))
nkprint(np.allclose(a, b), np.allclose(a[0:4], b[0:4]), np.allclose(b[0:4], a[0:4]))
nkprint(np.isclose(np.arange(4), 2), np.isclose(np.arange(4), 2.00001), np.isclose(2.0, np.arange(4)))
nkprint(np.isclose(np.arange(5), np.arange(5) + 1), np.allclose(np.arange(5), np.arange(5)))
m = np.linspace(0.0, 1.0, 6).reshape(2, 3)
nkprint(np.isclose(m, m + 1e-9), np.allclose(m, m * 1.00002), np.allclose(m, 0.5))
nkprint(np.isclose(np.zeros(0), np.zeros(0)), np.allclose(np.zeros(0), 1.0))
