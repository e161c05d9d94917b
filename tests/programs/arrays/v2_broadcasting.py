from nkfmt import nkprint
import numpy as np
col = np.arange(3).reshape(3, 1)
row = np.arange(4).reshape(1, 4)
nkprint(col + row, col * row, row - col)
m = np.arange(6).reshape(2, 3) * 1.0
nkprint(m - np.arange(3), m / np.arange(1, 3).reshape(2, 1), np.arange(3) + m, m > np.arange(3) * 1.5)
t = np.zeros((2, 2, 3))
nkprint(t + np.arange(3), t + m, (t + col[0:2, :]).shape)
nkprint(np.minimum(m, np.arange(3) * 2), np.maximum(col, row), np.arctan2(col * 1.0, row + 1.0))
m += np.arange(3)
nkprint(m)
z = np.zeros((3, 4))
z[:, 1:3] = np.arange(2)
z[0:2, :] = np.arange(2).reshape(2, 1) * 10.0
nkprint(z)
pts = (np.arange(8) * 0.5).reshape(4, 2)
d = pts[:, 0].reshape(4, 1) - pts[:, 0].reshape(1, 4)
nkprint(d * d)
