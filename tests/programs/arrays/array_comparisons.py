from nkfmt import nkprint
import numpy as np
a = np.arange(5); b = np.linspace(4.0, 0.0, 5)
nkprint(a < 2, a >= 3, a == 2, a != 2)
nkprint(a < b, a == b, 2.5 > a)
nkprint(np.arange(4).reshape(2, 2) > 1)
nkprint((a > 1).astype(int), 3, True, False, False)
