from nkfmt import nkprint
import numpy as np
def add(a, b): return a + b
nkprint(add(1, 2)); nkprint(add(1, 2.5)); nkprint(add(1.5, 2))
nkprint(add(np.arange(3), 10)); nkprint(add(np.arange(3), 0.5)); nkprint(add(np.ones(2), np.ones(2)))
nkprint(add(1, 2) * 2)
