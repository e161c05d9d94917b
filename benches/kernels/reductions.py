# NumPy: same reductions, 5 rounds.
import numpy as np
from twin import jit, run


@jit
def reductions(n):
    a = (np.arange(n) % 1000).astype(np.float64)
    s = 0.0
    m = 0.0
    mx = 0.0
    mn = 0.0
    for r in range(5):
        s += a.sum()
        m += a.mean()
        mx += a.max()
        mn += (a - float(r)).min()
    return s, m, mx, mn


run(reductions)
