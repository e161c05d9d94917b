from nkfmt import nkprint
import numpy as np
a = np.arange(10)
r = a[::-1]
r[0] = 100
r[-1] = -5
nkprint(a)
a[::2] = 0
nkprint(a, r)
a[::-3] = np.arange(4) * 10
nkprint(a)
a[7:1:-2] += 1
nkprint(a)
r[::4] *= -1
nkprint(a)
b = np.arange(6)
b[:] = b[::-1]
nkprint(b)
b[::2] = b[1::2]
nkprint(b)
b[1:] = b[:5]
nkprint(b)
m = np.zeros((4, 5))
m[::2, ::-1] = np.arange(10).reshape(2, 5)
nkprint(m)
m[::-1, 1::2] += 1.5
nkprint(m)
m[:, ::-1] = m.copy()
nkprint(m)
m[::-1] = m
nkprint(m)
w = m[::-2, ::-2]
w[0, 0] = 99.0
w[1] = -1.0
nkprint(m)
def fill_index(v):
    for i in range(len(v)):
        v[i] = i * 10
def fill_grid(q):
    for i in range(q.shape[0]):
        for j in range(q.shape[1]):
            q[i, j] = i * 100 + j
c = np.zeros(7, np.int64)
fill_index(c[::-2])
nkprint(c)
g = np.zeros((3, 4), np.int64)
fill_grid(g[::-1, ::-3])
nkprint(g)
u = np.arange(8, dtype=np.uint8)
u[::-3] = 250
nkprint(u, u[::-1])
f = np.ones(6, np.float32)
f[1::2] = 0.1
nkprint(f[::-1])
t = np.zeros((2, 3, 4), np.int32)
t[::-1, ::2, ::-1] = 7
t[1, ::-1] += 1
nkprint(t)
