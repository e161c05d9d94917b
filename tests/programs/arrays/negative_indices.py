from nkfmt import nkprint
import numpy as np
a = np.arange(10, 15)
nkprint(a[-1], a[-5], a[0], a[4]); a[-2] = 99; nkprint(a)
m = np.arange(12).reshape(3, 4)
nkprint(m[-1, -1], m[-3, 0], m[1, -2]); m[-1, 0] = -7; nkprint(m)
