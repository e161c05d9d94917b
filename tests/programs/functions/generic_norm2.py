from nkfmt import nkprint
import numpy as np, math
def norm2(v):
    s = 0.0
    for x in v: s = s + float(x * x)
    return math.sqrt(s)
nkprint(norm2(np.array([3.0, 4.0]))); nkprint(norm2(np.arange(3))); nkprint(norm2(np.full(4, 0.5)))
