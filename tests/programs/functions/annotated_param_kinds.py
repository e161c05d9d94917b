from nkfmt import nkprint
import numpy as np
nkprint(24.0, np.arange(3), 2); nkprint((0, 8))
