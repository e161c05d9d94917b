from nkfmt import nkprint
import numpy as np
x = np.linspace(1.0, 3.0, 3)
nkprint(2.0, x * 0.5, 3, 0.5); nkprint(np.arange(3))
