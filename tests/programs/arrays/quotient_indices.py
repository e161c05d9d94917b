from nkfmt import nkprint
import numpy as np


def spread(dst, src, lo, hi):
    s = 0.0
    for i in range(lo, hi):
        dst[i] = src[i // 2] + src[i // 3] * 0.5
        s += dst[i]
    return s


def tally(counts, n, step):
    j, t = 0, 0
    while j < n:
        counts[j // 4] += j
        t += counts[j // 4]
        j += step
    return t


def grid(g, n):
    s = 0.0
    for i in range(n):
        for j in range(n):
            s += g[i // 2, j // 2] * (i + 1) - g[j // 2, i // 3]
    return s


src = np.array([i * 1.5 - 2.0 for i in range(6)])
for hi in range(8):
    dst = np.zeros(12)
    nkprint(hi, spread(dst, src, 0, hi), dst)
dst = np.zeros(12)
nkprint(spread(dst, src, -4, 3), dst)
counts = np.zeros(5, np.int64)
nkprint(tally(counts, 20, 1), tally(counts, 17, 3), counts)
g = np.array([[i * 3.0 - j for j in range(3)] for i in range(3)])
nkprint(grid(g, 5), grid(g, 6))
