import numpy as np
from nkfmt import nkprint
def stats(a): return (a.min(), a.max(), a.mean(), len(a))
lo, hi, m, n = stats(np.arange(1.0, 6.0))
nkprint(lo, hi, m, n)
nkprint(stats(np.arange(3, 9)))
nkprint(np.zeros(3), np.arange(3))
