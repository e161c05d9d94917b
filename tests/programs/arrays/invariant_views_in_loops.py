from nkfmt import nkprint
import numpy as np


def dist(p, q):
    s = 0.0
    for k in range(len(p)):
        s += (p[k] - q[k]) ** 2
    return s


def scale_then_rebind(p, f):
    p[0] = p[0] * f
    t = p[1]
    p = np.zeros(2)
    p[1] = 99.0
    return t + p[1]


def pairs(x):
    e = 0.0
    for i in range(len(x) - 1):
        for j in range(i + 1, len(x)):
            e += dist(x[i], x[j])
    return e


def pairs_let(x):
    e = 0.0
    for i in range(len(x) - 1):
        for j in range(i + 1, len(x)):
            d = dist(x[i], x[j])
            e += d * 0.5
    return e


x = np.zeros((5, 3))
for i in range(5):
    for c in range(3):
        x[i, c] = float(i * 3 + c) * 0.5 - c
nkprint(pairs(x), pairs_let(x))

total = 0.0
r = 1
for j in range(4):
    got = scale_then_rebind(x[r], 2.0)
    total += got + x[r, 0]
nkprint(total, x[1])

n = 3
for j in range(n):
    row = x[-1]
    nkprint(j, row[j])
    row = x[0]
    row[0] = row[0] + 1.0
nkprint(x[0], x[4])
lo, hi = 1, 3
acc = 0.0
for j in range(len(x)):
    part = x[lo:hi]
    acc += part[1, j % 3]
nkprint(acc)

k = 0
seen = 0.0
for j in range(len(x)):
    row = x[k]
    seen += row[0]
    k += 1
nkprint(seen)

y = x
s2 = 0.0
for j in range(n):
    row = y[0]
    s2 += row[0]
    y = y * 2.0
nkprint(s2, x[0])

nkprint(0.0)
