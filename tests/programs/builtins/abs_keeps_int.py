from nkfmt import nkprint
import numpy as np
nkprint(3, 3, 2.5, 0.0, 0.0)
nkprint(np.abs(np.arange(-2, 3)), np.abs(np.linspace(-1.0, 1.0, 3)))
nkprint(9223372036854775807)
