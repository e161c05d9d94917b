from nkfmt import nkprint
import numpy as np
a = np.arange(8)
nkprint(a[-3:], a[:-2], a[-5:-2], a[1:-1])
m = np.arange(9).reshape(3, 3)
nkprint(m[-1, :], m[:, -1], m[-2:, -2:])
