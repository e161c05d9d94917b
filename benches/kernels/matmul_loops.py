# n x n matmul with explicit loops: lists of lists on CPython, 2-D arrays under Numba
# (what a Numba user would write: a[i, k], not a[i][k]).
from twin import NUMBA, jit, run

if NUMBA:
    import numpy as np  # only under Numba: importing it would slow the CPython run


def matmul_lists(n):
    a = [[0.0] * n for _ in range(n)]
    b = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(n):
            a[i][j] = float((i * 3 + j) % 7) - 3.0
            b[i][j] = float((i + 2 * j) % 5) * 0.5
    c = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(n):
            s = 0.0
            for k in range(n):
                s += a[i][k] * b[k][j]
            c[i][j] = s
    t = 0.0
    for i in range(n):
        t += c[i][i] + c[i][n - 1 - i]
    return t


@jit
def matmul_arrays(n):
    a = np.zeros((n, n))
    b = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            a[i, j] = float((i * 3 + j) % 7) - 3.0
            b[i, j] = float((i + 2 * j) % 5) * 0.5
    c = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            s = 0.0
            for k in range(n):
                s += a[i, k] * b[k, j]
            c[i, j] = s
    t = 0.0
    for i in range(n):
        t += c[i, i] + c[i, n - 1 - i]
    return t


run(matmul_arrays if NUMBA else matmul_lists)
