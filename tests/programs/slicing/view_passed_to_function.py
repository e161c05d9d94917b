from nkfmt import nkprint
import numpy as np
m = np.ones((3, 3)); m[1, :] = 0; m[:, 2] = 0
nkprint(m, 2.0, 2.0)
a = np.arange(0.0, 10.0); a[5:] = 0
nkprint(a, 5.0)
