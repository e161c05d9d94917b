from nkfmt import nkprint
import numpy as np
a = list(np.arange(0, 100, 3))
def bs(a, x): return a.index(x) if x in a else -1
nkprint(bs(a, 0), bs(a, 99), bs(a, 42), bs(a, 43), bs(a, -5), bs(a, 1000))
nkprint(3, -1)
