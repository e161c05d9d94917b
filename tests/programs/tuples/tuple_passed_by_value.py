import numpy as np
from nkfmt import nkprint
def modify(t):
    t = (t[0] + 1, t[1])
    inner = t[1]; inner[0] = 9.0
    return t
arr = np.zeros(2); t = (1, arr); u = modify(t)
nkprint(t[0], u[0], arr)
v = t; v = (5, np.ones(1))
nkprint(t[0], v[0])
