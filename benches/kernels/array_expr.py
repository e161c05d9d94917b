# NumPy: same elementwise expressions (each op allocates a new array, as in nk).
import numpy as np
from twin import jit, run


@jit
def array_expr(n):
    a = np.linspace(0.0, 1.0, n)
    b = np.arange(n) * 0.001
    c = np.zeros(n)
    for r in range(20):
        c = a * 2.0 + b
        a = c * 0.5 - b * 0.25
    return c[0], c[n // 2], c[n - 1]


run(array_expr)
