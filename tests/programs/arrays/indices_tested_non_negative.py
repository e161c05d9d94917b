import numpy as np
from nkfmt import nkprint


def counts(bins, n):
    h = np.zeros(n, dtype=np.int64)
    for k in range(len(bins)):
        b = bins[k]
        if b >= 0:
            h[b] += 1
        if b > 0:
            h[b] += 10
        if 0 <= b:
            b -= n
            h[b] += 100
        if b >= -2:
            h[b] += 1000
        if b < 0:
            h[b] += 10000
    return h


def below():
    return -5


def shifted(bins, n, c):
    h = np.zeros(n, dtype=np.int64)
    lo = 0
    if c:
        lo = below()
    for k in range(len(bins)):
        b = bins[k]
        if lo <= b:
            h[b] += 1
    return h


bins = np.array([0, 3, -1, 2, -4, 4, 1, -2])
nkprint(counts(bins, 5))
nkprint(shifted(bins, 5, True), shifted(bins, 5, False))
