from nkfmt import nkprint
import numpy as np
def axpy(a, x, y): return a * x + y
x = np.arange(0.0, 4.0); y = np.ones(4)
nkprint(axpy(2.0, x, y))
nkprint(axpy(3.0, x, y))
