from nkfmt import nkprint
import math
import numpy as np
def ew(f, *arrs):
    arrs = [np.asarray(a, dtype=float) for a in arrs]
    out = np.array([f(*vals) for vals in zip(*[a.ravel() for a in arrs])], dtype=float)
    return out.reshape(arrs[0].shape)
x = np.linspace(0.0, 2.0, 5)
nkprint(ew(math.sqrt, x)); nkprint(ew(math.exp, x)); nkprint(ew(math.sin, x), ew(math.cos, x))
nkprint(ew(math.log, x + 1.0), ew(math.atan2, x, 1.0 - x))
nkprint(ew(math.sqrt, np.arange(4)), ew(math.exp, np.arange(2)))
m = np.linspace(0.25, 1.5, 6).reshape(2, 3)
nkprint(ew(math.log10, m), ew(math.tanh, m))
