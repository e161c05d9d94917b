import numpy as np
from nkfmt import nkprint
def bump(x, a, t):
    x = x + 100; a[0] = 100.0; t = (0, 0.0)
    return x
def rebind(a):
    a = np.zeros(2); a[0] = 9.0
    return a
x = 1; a = np.ones(2); t = (1, 2.0)
nkprint(bump(x, a, t), x, a, t)
b = np.ones(2)
nkprint(rebind(b), b)
