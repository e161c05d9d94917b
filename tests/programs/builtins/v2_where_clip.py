from nkfmt import nkprint
import numpy as np
nan = float("nan"); inf = float("inf")
x = np.array([-2.5, 0.0, nan, 3.0, -0.0, inf])
k = np.arange(6) - 2
with np.errstate(invalid="ignore"):
    nkprint(np.where(x > 0.0, x, 0.0))
    nkprint(np.where(k > 0, k, 0), np.where(k > 0, k, -k))
    nkprint(np.where(k > 0, k, 0.5), np.where(x < 1.0, 7, x))
    nkprint(np.where(k >= 0, 1, 2))
    m = np.linspace(-1.0, 1.0, 6).reshape(2, 3)
    nkprint(np.where(m > 0.0, m, m * 10.0))
    nkprint(np.where(np.zeros(0) > 0.0, np.zeros(0), 1.0))
    nkprint(np.clip(x, -1.0, 1.0))
    nkprint(np.clip(k, 0, 2), np.clip(k, -1.5, 1.5))
    nkprint(np.clip(k, 3, 1))
    nkprint(np.clip(x, nan, 1.0))
    nkprint(np.clip(m, -0.5, 0.25))
    nkprint(np.clip(2.5, 0.0, 1.0), np.clip(-3, 0, 10), np.clip(7, 0, 5))
    lo = np.zeros(6) - 1.0
    hi = np.arange(6) * 0.5
    nkprint(np.clip(x, lo, hi))
cc = np.arange(2).reshape(2, 1) > 0
nkprint(np.where(cc, np.zeros((1, 3)), 1.0), float(np.where(True, 1, 2.5)), np.where(np.arange(4) > 1, np.arange(4), -1))
f32s = np.arange(4).astype(np.float32)
nkprint(np.where(f32s > 1, f32s, np.float32(0)), f32s.mean(), f32s.var(), np.float32(np.sqrt(np.float64(f32s.var()))), np.arange(4).mean())
