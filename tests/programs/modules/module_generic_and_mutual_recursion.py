from nkfmt import nkprint
import numpy as np
nkprint(8, 2.5, np.arange(3) * 2)
nkprint(3, 1)
