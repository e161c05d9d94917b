import numba
import numpy as np
from numba import prange


@numba.njit(parallel=True, cache=False)
def pairwise(x, d):
    n = x.shape[0]
    big = 0.0
    for i in prange(n):
        for j in range(n):
            s = 0.0
            for k in range(3):
                t = x[i, k] - x[j, k]
                s += t * t
            d[i, j] = np.sqrt(s)
            big = max(big, d[i, j])
    return big


def kernel(n):
    x = (np.arange(float(n * 3)) * 0.37 % 1.0).reshape(n, 3)
    d = np.zeros((n, n))
    return lambda: pairwise(x, d)
