from nkfmt import nkprint
import numpy as np
m = np.arange(20).reshape(4, 5)
nkprint(m[::2, 1:])
nkprint(m[::-1])
nkprint(m[:, ::-1])
nkprint(m[::-2, ::-3])
nkprint(m[1::2, 4:0:-2])
nkprint(m[::-1, 2], m[3, ::-2], m[-1, ::-1])
nkprint(m[::-1][1], m[::-1][1, ::2])
nkprint(m[::3, ::2].shape, m[10::-10, :].shape, m[:, 5::-1].shape)
r = m[::-1, ::-1]
nkprint(r + m, r * 2, -r)
nkprint(r.sum(), m[::-2, 1].max(), r[::2].copy())
nkprint(r.reshape(2, 10))
nkprint(m[:, ::-1].reshape(-1))
nkprint(r.T, m.T[::-1])
f = m.astype(np.float64)[::-1, ::2]
nkprint(f / 2.0, np.sqrt(f[0]))
t = np.arange(24).reshape(2, 3, 4)
nkprint(t[::-1])
nkprint(t[:, ::-1, ::2])
nkprint(t[1, ::-2, ::-1], t[::-1, 1, ::3], t[::-1, ::-1, 3])
nkprint(t[::-1, 1:, 1::2])
nkprint(t[:, ::2, ::-3].shape)
def weighted(v):
    s = 0
    for i in range(len(v)):
        s += (i + 1) * int(v[i])
    return s
def corner_sum(q):
    s = 0
    for i in range(q.shape[0]):
        for j in range(q.shape[1]):
            s += (i + 1) * (j + 2) * int(q[i, j])
    return s
nkprint(weighted(np.arange(6)[::-1]), weighted(np.arange(6)[::-2]), weighted(np.arange(6)[4::-3]))
nkprint(corner_sum(m[::-1, ::-2]), corner_sum(m[::2, ::-1]), corner_sum(t[1, ::-1, ::-1]))
for row in m[::-2]:
    nkprint(row[::-1])
for x in np.arange(5)[::-1]:
    nkprint(x)
