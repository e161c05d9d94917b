from nkfmt import nkprint
import numpy as np


def sweep(u, v, n):
    for i in range(1, n - 1):
        for j in range(1, n - 1):
            v[i, j] = 0.25 * (u[i - 1, j] + u[i + 1, j] + u[i, j - 1] + u[i, j + 1])


def colsum(m, j):
    s = 0.0
    for i in range(m.shape[0]):
        s += m[i, j] * float(i + 1)
    return s


def narrow(a, b, c, k):
    s = 0.0
    for i in range(len(a) - 1):
        s += float(int(a[i + 1]) - int(a[i])) + float(b[i]) * float(c[i + 1]) + float(a[k])
    return s


def skips(a, last):
    s = 0
    for i in range(len(a)):
        if a[i] % 3 == 0:
            continue
        if a[i] > 40:
            break
        s += int(a[i]) * int(a[last])
    return s


def cube(t, k):
    s = 0.0
    for i in range(t.shape[2]):
        s += t[k, k + 1, i] - t[0, 1, i]
    return s


n = 7
u = np.zeros((n, n))
v = np.zeros((n, n))
for i in range(n):
    u[i, 0] = 1.0
    v[i, 0] = 1.0
for t in range(20):
    sweep(u, v, n)
    sweep(v, u, n)
nkprint(u[3, 1], u[3, 3], u[5, 5])

m = np.arange(12.0).reshape((3, 4))
nkprint(colsum(m, 0), colsum(m, 3), colsum(m.T, 2), colsum(m[::-1, ::-1], 1), colsum(m[:, 1:3], -1))

a = np.arange(10, dtype=np.int32) * np.arange(10, dtype=np.int32)
b = np.arange(10, dtype=np.uint8)
c = np.arange(10, dtype=np.float32) * np.float32(0.5)
nkprint(narrow(a, b, c, 2), narrow(a[::2], b[1::2], c[::-2], -1))

w = np.arange(1, 60, 4, dtype=np.int64)
nkprint(skips(w, 0), skips(w, -1), skips(w[::-1], 3))

t = np.arange(60.0).reshape((3, 4, 5))
nkprint(cube(t, 0), cube(t, 2), cube(t[:, :, ::2], 1))
