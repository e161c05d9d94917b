import numpy as np

from nkfmt import nkprint


def counts(values, bins):
    hist = np.full(bins, 0, dtype=np.int64)
    for v in values:
        b = v % bins
        hist[b] += 1
        hist[-1 - b] += 10
    return hist


def grid(n):
    g = np.full((n, n), 0, dtype=np.int64)
    for k in range(n * n):
        i = (k * 7) % n
        j = (k * 3) % n
        g[i, j] += k
        g[-1 - i, j] -= 1
    return g


def merge(first, second):
    out = np.zeros(len(first) + len(second))
    left = right = at = 0
    while left < len(first) and right < len(second):
        if first[left] <= second[right]:
            out[at] = first[left]
            left += 1
        else:
            out[at] = second[right]
            right += 1
        at += 1
    while left < len(first):
        out[at] = first[left]
        left += 1
        at += 1
    while right < len(second):
        out[at] = second[right]
        right += 1
        at += 1
    return out


values = np.full(50, 0, dtype=np.int64)
for i in range(50):
    values[i] = (i * i * 31 + 7) % 97
nkprint(counts(values, 7))
nkprint(grid(5))
nkprint(merge(np.array([0.5, 1.5, 1.5, 9.0]), np.array([-1.0, 1.5, 2.0])))
nkprint(merge(np.zeros(0), np.array([3.0])), merge(np.array([2.0, 4.0]), np.zeros(0)))
