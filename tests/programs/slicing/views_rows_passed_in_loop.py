from nkfmt import nkprint
import numpy as np


def dist2(p, q):
    s = 0.0
    for c in range(len(p)):
        d = q[c] - p[c]
        s += d * d
    return s


def total(a):
    t = 0
    for k in range(len(a)):
        t += int(a[k]) * (k + 1)
    return t


def pairs(m):
    e = 0.0
    for i in range(len(m) - 1):
        for j in range(i + 1, len(m)):
            e += dist2(m[i], m[j])
    return e


n = 7
m = np.zeros((n, 3))
for i in range(n):
    for c in range(3):
        m[i, c] = (i * 3 + c) * 0.5 - c * c
nkprint(pairs(m))
nkprint(dist2(m[-1], m[0]), dist2(m[-2], m[1]))
q = np.arange(24).reshape((2, 3, 4))
s = 0
for i in range(2):
    for j in range(3):
        s += total(q[i][j]) + total(q[-1 - i][j])
nkprint(s)
halves = 0.0
for i in range(n):
    halves += dist2(m[i][:2], m[n - 1 - i][1:])
nkprint(halves)
