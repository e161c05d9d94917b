from nkfmt import nkprint
import numpy as np
x = np.arange(4)
nkprint(x[:, None], x[:, None].shape)
nkprint(x[None, :], x[None, :].shape, x[None].shape)
nkprint(x[None, ::-1], x[::2, None], x[1, None])
m = np.arange(6).reshape(2, 3)
nkprint(m[:, None, :], m[:, None, :].shape)
nkprint(m[None].shape, m[None, :, :].shape, m[:, :, None].shape, m[1, None].shape)
nkprint(m[None, ::-1, 1], m[:, None, 2])
c = x[:, None]
nkprint(c[2, 0], c[-1, -1], len(c), c.ndim, c.size)
c[1, 0] = 50
c[3] = 70
nkprint(x)
rowv = x[None, :]
rowv[0, ::2] = -1
nkprint(x)
rowv[0] += 1
nkprint(x)
nkprint(c * 2 + c, c.sum(), m[:, None, :].copy() - 1)
nkprint(m[:, None, :].reshape(-1), x[:, None].T)
f = np.linspace(0.0, 1.0, 3)
nkprint(f[None, :] * 2.0, f[:, None][::-1])
def total(q):
    s = 0.0
    for i in range(q.shape[0]):
        for j in range(q.shape[1]):
            s += q[i, j] * (i + 1)
    return s
nkprint(total(f[:, None]), total(f[None, :]), total(f[::-1, None]))
nkprint(x[None:2], x[1:None], x[::None], x[None:None:-1])
