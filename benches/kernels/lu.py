# Dense LU decomposition without pivoting of a diagonally dominant 48 x 48 matrix, n times,
# as lu.nk: lists of lists on CPython, 2-D arrays under Numba.
from twin import NUMBA, jit, run

if NUMBA:
    import numpy as np

M = 48


def lu_lists(n):
    a0 = [[0.0] * M for _ in range(M)]
    for i in range(M):
        for j in range(M):
            a0[i][j] = float((i * 7 + j * 3) % 11) / 10.0 - 0.5
        a0[i][i] += float(M)
    a = [[0.0] * M for _ in range(M)]
    check = 0.0
    for r in range(n):
        for i in range(M):
            for j in range(M):
                a[i][j] = a0[i][j]
        a[0][M - 1] += r * 0.001
        for k in range(M):
            pivot = a[k][k]
            ak = a[k]
            for i in range(k + 1, M):
                ai = a[i]
                f = ai[k] / pivot
                ai[k] = f
                for j in range(k + 1, M):
                    ai[j] -= f * ak[j]
        check += a[M - 1][M - 1] + a[M - 1][0]
    total = 0.0
    for i in range(M):
        for j in range(M):
            total += a[i][j]
    return check, total


@jit
def lu_inplace(a):
    m = a.shape[0]
    for k in range(m):
        pivot = a[k, k]
        for i in range(k + 1, m):
            f = a[i, k] / pivot
            a[i, k] = f
            for j in range(k + 1, m):
                a[i, j] -= f * a[k, j]


@jit
def lu_arrays(n):
    a0 = np.zeros((M, M))
    for i in range(M):
        for j in range(M):
            a0[i, j] = float((i * 7 + j * 3) % 11) / 10.0 - 0.5
        a0[i, i] += float(M)
    a = np.zeros((M, M))
    check = 0.0
    for r in range(n):
        for i in range(M):
            for j in range(M):
                a[i, j] = a0[i, j]
        a[0, M - 1] += r * 0.001
        lu_inplace(a)
        check += a[M - 1, M - 1] + a[M - 1, 0]
    total = 0.0
    for i in range(M):
        for j in range(M):
            total += a[i, j]
    return check, total


run(lu_arrays if NUMBA else lu_lists)
