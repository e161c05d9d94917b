from nkfmt import nkprint
import numpy as np
import sys


def mark(a, start, step, n):
    j, k = start, 0
    while j <= n:
        a[j] += 1
        k += 1
        j += step
    return k


def pairs(a, n):
    j, s = 1, 0.0
    while j < n:
        s += a[j] * a[j - 1] - a[j + 1]
        j += 3
    return s


n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
a = np.zeros(n + 1, np.int64)
total = 0
for p in range(2, 6):
    total += mark(a, p * p, p, n)
nkprint(total, np.sum(a), a[4], a[36], a[n])
b = np.zeros(8, np.int64)
j = -3
while j <= 5:
    b[j] += 10
    j += 2
nkprint(b)
m, step, q = 0, 0, 2
while q < 6:
    b[q] -= 1
    m += 1
    if m == 4:
        step = 1
    q += step + 0
nkprint(b, m)
big = 9223372036854775806
r, hits = 0, 0
while r <= big:
    hits += b[r % 8]
    if r > 20:
        break
    r += 7
nkprint(hits, r)
x = np.arange(n + 2).astype(np.float64) * 0.5
nkprint(pairs(x, n))
g = np.zeros((3, n), np.int64)
c = 0
while c < n:
    g[1, c] = c * c
    g[2, c] = g[1, c] + 1
    c += 4
nkprint(np.sum(g), g[2, 4], g[1, n - 1])
