from nkfmt import nkprint
import numpy as np
a = np.arange(5)
nkprint(a[2:100], a[7:9], a[3:1], len(a[4:2]))
