from nkfmt import nkprint
import numpy as np
import sys


def sweep(u, v, n):
    for i in range(1, n - 1):
        for j in range(1, n - 1):
            v[i, j] = 0.25 * (u[i - 1, j] + u[i + 1, j] + u[i, j - 1] + u[i, j + 1])


def axpy(dst, a, b, lo, hi):
    last = -1.0
    for k in range(lo, hi):
        last = a[k] * 2.5 + b[k]
        dst[k] = last / 3.0 - -b[k]
        b[k] = b[k] - a[k] * last
    return last


def halve_into(dst, src):
    for k in range(len(dst)):
        dst[k] = src[k] * 0.5 + 1.0


n = int(sys.argv[1]) if len(sys.argv) > 1 else 9
u = np.zeros((n, n))
v = np.zeros((n, n))
for i in range(n):
    u[i, 0] = 1.0
    v[i, 0] = 1.0
    u[i, n - 1] = float(i) * 0.125
for t in range(20):
    sweep(u, v, n)
    sweep(v, u, n)
nkprint(u[1, 1], u[n // 2, n // 2], u[n - 2, n - 2], np.sum(u))
for m in range(11):
    a = np.arange(m).astype(np.float64) * 0.75 - 1.0
    b = np.ones(m) * -0.0
    d = np.zeros(m)
    last = axpy(d, a, b, 0, m)
    nkprint(m, last, d, b)
x = np.arange(9).astype(np.float64)
halve_into(x[1:], x[:-1])
nkprint(x)
y = np.arange(9).astype(np.float64)
halve_into(y[:-1], y[1:])
nkprint(y)
z = np.arange(10).astype(np.float64)
halve_into(z[::2], z[1::2])
halve_into(z, z)
nkprint(z)
w = np.zeros((3, 7))
r = np.arange(7).astype(np.float64)
halve_into(w[1], r)
halve_into(w[2, 1:6], w[1, 2:7])
nkprint(w)
