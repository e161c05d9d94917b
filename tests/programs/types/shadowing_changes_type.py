from nkfmt import nkprint
import numpy as np
nkprint(1); nkprint(2.5); nkprint(2.5 > 2.0); nkprint(np.arange(3))
