from nkfmt import nkprint
import numpy as np
a = (np.arange(20) * 37 % 23).astype(float) - 11.0
nkprint(np.sort(a)); nkprint(True); nkprint(np.arange(1.0, 11.0))
