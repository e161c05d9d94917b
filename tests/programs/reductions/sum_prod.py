from nkfmt import nkprint
import numpy as np
a = np.arange(1, 6)
nkprint(a.sum(), a.prod(), (a * 0.5).sum(), np.linspace(0.5, 2.0, 4).prod())
nkprint(0.0, 1.0, 0, 1)
m = np.arange(1, 7).reshape(2, 3); nkprint(m.sum(), m.prod(), np.ones((2, 3, 4)).sum())
