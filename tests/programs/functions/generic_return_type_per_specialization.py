import numpy as np
from nkfmt import nkprint
def first(a): return a[0]
def pick(flag, x, y): return x if flag else y
nkprint(first(np.arange(5) + 3), first(np.linspace(0.5, 1.0, 2)), first(np.arange(2) > 0))
nkprint(pick(True, 1, 2), pick(False, 1.5, 2.5), pick(True, (1, 2.0), (3, 4.0)))
