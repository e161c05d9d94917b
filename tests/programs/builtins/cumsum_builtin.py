from nkfmt import nkprint
import numpy as np
nkprint(np.cumsum(np.arange(1, 6)), np.cumsum(np.linspace(0.5, 2.0, 4)), np.cumsum(np.zeros(0)))
a = np.arange(10); c = np.cumsum(a[5:]); nkprint(c, True)
