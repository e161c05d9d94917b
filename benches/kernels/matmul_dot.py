# NumPy: the matrices of matmul_loops, built with broadcasting, multiplied with np.dot
# (BLAS). Under Numba, np.dot needs SciPy installed (Numba calls SciPy's BLAS).
import numpy as np
from twin import jit, run


@jit
def matmul_dot(n):
    i = np.arange(n).reshape((n, 1))
    j = np.arange(n).reshape((1, n))
    a = ((i * 3 + j) % 7) - 3.0
    b = ((i + 2 * j) % 5) * 0.5
    c = np.dot(a, b)
    t = 0.0
    for k in range(n):
        t += c[k, k] + c[k, n - 1 - k]
    return t


run(matmul_dot)
