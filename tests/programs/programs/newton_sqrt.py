from nkfmt import nkprint
import numpy as np
def ns(x):
    g = x
    if g < 1.0: g = 1.0
    for i in range(60):
        nxt = 0.5 * (g + x / g)
        if nxt == g: break
        g = nxt
    return g
import math
for v in np.linspace(0.25, 4.0, 4):
    v = float(v); nkprint(v, ns(v), abs(ns(v) - math.sqrt(v)) < 1e-12)
nkprint(ns(2.0), ns(1e10))
