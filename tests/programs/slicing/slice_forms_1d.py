from nkfmt import nkprint
import numpy as np
a = np.arange(10, 20)
nkprint(a[2:5], a[7:], a[:3], a[:], a[4:4], a[10:])
n = len(a)
nkprint(a[n:], len(a[n:]), a[1:n-1])
