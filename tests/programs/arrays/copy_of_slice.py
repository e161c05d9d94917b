import numpy as np
from nkfmt import nkprint


def pair(x, y):
    return x[0] * 10.0 + y[len(y) - 1]


def tail_sum(a, k):
    s = 0
    for i in range(k):
        c = a[i:].copy()
        c[0] = -c[0]
        s += int(c[0]) + len(c)
    return s


def back(a, n):
    s = 0.0
    t = a[0:1]
    for i in range(n):
        s += t[0] * 100.0
        t = a[i:]
        c = t.copy()
        s += c[0]
    return s


a = np.arange(0.0, 10.0)
first = a[:3].copy()
last = a[-3:].copy()
none = a[7:2].copy()
clamped = a[5:100].copy()
first[0] = 100.0
nkprint(first, last, len(none), clamped, a[0])
v = a[2:5]
cv = v.copy()
cv[0] = -1.0
nkprint(v, cv)
nkprint(pair(a[:2].copy(), a[2:]))
nkprint(tail_sum(np.arange(6), 6), back(np.arange(0.0, 5.0) + 1.0, 5))
m = np.arange(12).reshape(4, 3)
rows = m[1:3].copy()
rows[0, 0] = 99
nkprint(rows, m[1])
w = a[0:1]
for i in range(3):
    c = a[i:i + 2].copy()
    nkprint(c, w)
    w = a[i:i + 1]
u = np.arange(8).astype(np.uint8)
b = np.arange(8) % 2 == 0
nkprint(u[3:].copy(), b[:-3].copy(), np.arange(5).astype(np.float32)[1:4].copy())
