from nkfmt import nkprint
import numpy as np
coef = [1.0, 2.0, 3.0, 4.0]
def horner(x):
    r = 0.0
    for c in coef: r = r * x + c
    return r
nkprint(horner(2), horner(0.5), horner(-1.0))
nkprint(horner(np.linspace(-1.0, 1.0, 5)))
