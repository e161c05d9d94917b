from nkfmt import nkprint
import numpy as np
nkprint(np.linspace(0.0, 1.0, 5))
nkprint(np.linspace(0, 8, 3), np.linspace(-1.0, 1.0, 2))
nkprint(np.linspace(2.5, 7.0, 1), np.linspace(0.0, 1.0, 0))
nkprint(101, 1.0, 0.0)
