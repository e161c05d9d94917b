from nkfmt import nkprint
import numpy as np
nkprint(*divmod(7, 2))
nkprint(1, 2.5, True)
nkprint(np.array([3, 1, 2]))
nkprint(20, 10)
nkprint(5)
