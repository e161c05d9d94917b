from nkfmt import nkprint
import numpy as np
d = np.arange(1, 9).astype(float)
n = 0; mean = 0.0; m2 = 0.0
for x in d:
    x = float(x); n += 1; dd = x - mean; mean += dd / n; m2 += dd * (x - mean)
nkprint(mean, m2 / n, d.mean(), d.var()); nkprint(True)
