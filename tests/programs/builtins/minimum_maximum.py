from nkfmt import nkprint
import numpy as np
nkprint(3, 5, -1.0, 2.5)
a = np.arange(-3, 4)
nkprint(np.minimum(a, 0), np.maximum(a, 0), np.maximum(0, a), np.minimum(a, 1.5))
b = np.arange(3, -4, -1); nkprint(np.minimum(a, b), np.maximum(a, b))
f = np.linspace(0.0, 1.0, 3); nkprint(np.maximum(f, 0.25), np.minimum(f, f * 0.5))
