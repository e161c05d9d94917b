from nkfmt import nkprint
import numpy as np
nkprint(-5, -2.5, 5, 5, -0.0, 0)
a = np.arange(3)
nkprint(-a, -(a * 1.5))
