import numpy as np
from nkfmt import nkprint
a = np.arange(5)
nkprint((a > 3).any(), (a > 3).all(), (a > 4).any(), (a >= 0).all())
nkprint((np.zeros(0) > 0.0).any(), (np.zeros(0) > 0.0).all())
m = np.arange(4).reshape(2, 2) == 3
nkprint(m.any(), m.all(), (m == m).all())
