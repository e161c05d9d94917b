from nkfmt import nkprint
import numpy as np


def scale(r, k):
    for c in range(len(r)):
        r[c] = r[c] * k


def bump(r):
    r[0] += 100
    r[-1] -= 1


m = np.ones((3, 4))
for i in range(3):
    scale(m[i], i + 2.0)
nkprint(m)
a = m[1]
b = m[1]
a[0] = 9.5
nkprint(b[0], m[1, 0])
q = np.zeros((2, 2, 3), dtype=np.int64)
for i in range(2):
    for j in range(2):
        bump(q[i][j])
        bump(q[i, j])
nkprint(q)
w = np.arange(10.0)
for k in range(5):
    part = w[k:k + 3]
    part[1] = part[0] + part[2]
nkprint(w)
