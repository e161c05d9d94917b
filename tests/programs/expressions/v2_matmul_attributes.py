from nkfmt import nkprint
import numpy as np
m = np.arange(6).reshape(2, 3)
nkprint(m.T, m.shape, m.size, m.ndim, m.T.shape, np.arange(4).shape)
nkprint(m @ m.T, m.T @ m, np.arange(3) @ np.arange(3))
f = (np.arange(6) * 0.5).reshape(3, 2)
nkprint(m @ f, f.T @ f, (m @ f).shape)
v = np.ones(2)
nkprint(f @ v, m.T.T.shape)
nkprint(np.array([1, 2]) @ m, np.dot([1.0, 0.5], m), np.bincount([1, 1, 3], minlength=6), np.bincount([0, 2], minlength=1))
