from nkfmt import nkprint
import numpy as np
m = np.arange(12).reshape(3, 4)
nkprint(m.sum(0), m.sum(axis=1), m.sum(-1), (m + 1).prod(0), m.mean(0), m.var(axis=1), m.std(0))
nkprint(m.min(0), m.max(axis=1), m.argmin(1), m.argmax(0), (m > 10).any(0), (m > 0).all(axis=1))
nkprint(np.cumsum(m, 0), np.cumsum(m, axis=1), np.cumprod(m + 1, 1))
t = (np.arange(24) * 0.5).reshape(2, 3, 4)
nkprint(t.sum(1), t.max(axis=-1), t.mean(0).shape)
nkprint(np.arange(5).sum(0), min(3, 4), max(2.5, 1))
f = m.astype(np.float32)
nkprint(f.sum(0), f.mean(1))
b = np.arange(6).reshape(2, 3) > 2
nkprint(b.sum(0), b.any(axis=1), b.all(0), b.mean(1), np.cumsum(b, axis=1))
nkprint(np.zeros((0, 3)).sum(0), np.zeros((2, 0)).sum(1))
