from nkfmt import nkprint
import numpy as np
nkprint(np.arange(1000))
nkprint(np.arange(25) / 8.0)
