from nkfmt import nkprint
import numpy as np
nan = float("nan")
x = np.array([1.0, 4.0, nan, -2.5, -2.5])
nkprint(np.diff(x), np.diff(np.arange(6) * np.arange(6)), np.diff(np.arange(1)), np.diff(np.zeros(0)))
a8 = np.arange(8)
nkprint(np.diff(np.arange(10)[2:7]), np.diff(np.diff(a8 * a8 * a8)))
big = np.full(3, 4611686018427387904)
nkprint(np.diff(big * -1 + 3))
with np.errstate(over="ignore"):
    nkprint(np.cumprod(np.arange(1, 8)), np.cumprod(x), np.cumprod(np.zeros(0)))
    nkprint(np.cumprod(np.arange(1, 7).reshape(2, 3)), np.cumprod(np.arange(5) > 0), np.cumprod(np.arange(1, 4) > 1))
    nkprint(np.cumprod(np.full(70, 2))[62:])
    nkprint(np.cumprod(np.linspace(0.5, 2.0, 4)))
nkprint(np.count_nonzero(x), np.count_nonzero(np.arange(5) - 2), np.count_nonzero(np.zeros(0)))
nkprint(np.count_nonzero((np.arange(12) % 3).reshape(3, 4)), np.count_nonzero(np.arange(7) > 3))
z = np.zeros(3); z[1] = -0.0
nkprint(np.count_nonzero(z))
