from nkfmt import nkprint
import numpy as np
m = np.arange(12).reshape(3, 4)
nkprint(m[0], m[-1], m[1][2], m[1][-1], len(m[2]), m[2].ndim)
row = m[1]
row[0] = 40
nkprint(m)
m[0] = 9
nkprint(m)
m[2] = np.arange(4) * -1
nkprint(m)
m[-2] += 100
nkprint(m)
m[1] *= m[0]
nkprint(m)
m[0][1] = 5
m[2][::-1] = np.arange(4)
nkprint(m)
m[1] -= m[2]
nkprint(m)
i = 2
m[i - 1] = m[i]
nkprint(m)
t = np.arange(24.0).reshape(2, 3, 4)
nkprint(t[1], t[0][2], t[-1][-1][-1], t[1, 2], t[0].shape)
t[0] = 0.5
nkprint(t[0])
t[1] += np.arange(12).reshape(3, 4)
nkprint(t[1])
t[1][0] = np.arange(4) * 0.25
t[0, 1] = -1
nkprint(t)
def scale(v, k):
    for j in range(len(v)):
        v[j] = v[j] * k
g = np.arange(6).reshape(2, 3)
scale(g[1], 10)
scale(g[0][::-1], 3)
nkprint(g)
h = np.zeros((2, 2), np.float32)
h[1] = np.linspace(0.1, 0.2, 2)
nkprint(h)
