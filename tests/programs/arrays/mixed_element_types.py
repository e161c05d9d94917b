from nkfmt import nkprint
import numpy as np
i = np.arange(3); f = np.linspace(0.5, 1.5, 3)
with np.errstate(divide="ignore"):
    nkprint(i + f, f - i, i * f, f / i, i == f, i < f)
im = np.arange(4).reshape(2, 2); fm = np.ones((2, 2)) * 0.5
nkprint(im + fm, fm ** im)
nkprint(i + 0.0)
