# 2-D Jacobi stencil on an n x n grid: 100 rounds of two sweeps (u -> v, v -> u), the left
# edge held at 1.0; then a sequential sum. Lists of lists on CPython, 2-D arrays under Numba.
from twin import NUMBA, jit, run

if NUMBA:
    import numpy as np


def jacobi_lists(n):
    u = [[0.0] * n for _ in range(n)]
    v = [[0.0] * n for _ in range(n)]
    for i in range(n):
        u[i][0] = 1.0
        v[i][0] = 1.0
    for t in range(100):
        for a, b in ((u, v), (v, u)):
            for i in range(1, n - 1):
                for j in range(1, n - 1):
                    b[i][j] = 0.25 * (a[i - 1][j] + a[i + 1][j] + a[i][j - 1] + a[i][j + 1])
    s = 0.0
    for i in range(n):
        for j in range(n):
            s += u[i][j]
    return s


@jit
def sweep(u, v, n):
    for i in range(1, n - 1):
        for j in range(1, n - 1):
            v[i, j] = 0.25 * (u[i - 1, j] + u[i + 1, j] + u[i, j - 1] + u[i, j + 1])


@jit
def jacobi_arrays(n):
    u = np.zeros((n, n))
    v = np.zeros((n, n))
    for i in range(n):
        u[i, 0] = 1.0
        v[i, 0] = 1.0
    for t in range(100):
        sweep(u, v, n)
        sweep(v, u, n)
    s = 0.0
    for i in range(n):
        for j in range(n):
            s += u[i, j]
    return s


run(jacobi_arrays if NUMBA else jacobi_lists)
