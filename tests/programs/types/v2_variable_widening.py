from nkfmt import nkprint
import numpy as np
nkprint(float(np.linspace(0.0, 1.0, 5).sum()))
nkprint(6.0, 1.0)
nkprint(np.int32(1001))
nkprint(2.5)
nkprint(4)
