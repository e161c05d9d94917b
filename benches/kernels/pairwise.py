# Pairwise Euclidean distances of n points in 3-D (the classic Numba pairwise benchmark):
# the same LCG points and operations as pairwise.nk. Lists of lists on CPython, 2-D arrays
# under Numba.
from math import sqrt

from twin import NUMBA, jit, run

if NUMBA:
    import numpy as np


def pairwise_lists(n):
    x = [[0.0] * 3 for _ in range(n)]
    s = 12345
    for i in range(n):
        for c in range(3):
            s = (1103515245 * s + 12345) % 2147483648
            x[i][c] = s / 2147483648.0
    d = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(n):
            t = 0.0
            for c in range(3):
                u = x[i][c] - x[j][c]
                t += u * u
            d[i][j] = sqrt(t)
    total = 0.0
    for i in range(n):
        for j in range(n):
            total += d[i][j]
    return total, d[0][n - 1]


@jit
def pairwise(x):
    m = x.shape[0]
    k = x.shape[1]
    d = np.empty((m, m))
    for i in range(m):
        for j in range(m):
            s = 0.0
            for c in range(k):
                t = x[i, c] - x[j, c]
                s += t * t
            d[i, j] = sqrt(s)
    return d


@jit
def pairwise_arrays(n):
    x = np.zeros((n, 3))
    s = 12345
    for i in range(n):
        for c in range(3):
            s = (1103515245 * s + 12345) % 2147483648
            x[i, c] = s / 2147483648.0
    d = pairwise(x)
    total = 0.0
    for i in range(n):
        for j in range(n):
            total += d[i, j]
    return total, d[0, n - 1]


run(pairwise_arrays if NUMBA else pairwise_lists)
