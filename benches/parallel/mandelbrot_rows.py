import numba
from numba import prange


@numba.njit(parallel=True, cache=False)
def mandel(n):
    total = 0
    inside = 0
    for i in prange(n):
        ci = -1.25 + 2.5 * i / n
        for j in range(n):
            cr = -2.0 + 2.5 * j / n
            zr = 0.0
            zi = 0.0
            k = 0
            while k < 200 and zr * zr + zi * zi <= 4.0:
                t = zr * zr - zi * zi + cr
                zi = 2.0 * zr * zi + ci
                zr = t
                k += 1
            total += k
            if k == 200:
                inside += 1
    return total, inside


def kernel(n):
    return lambda: mandel(n)
