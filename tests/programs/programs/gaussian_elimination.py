from nkfmt import nkprint
import numpy as np
a = np.array([[2.0, 3.0, 4.0], [1.0, -1.0, 2.0], [4.0, 1.0, -2.0]])
x = np.linalg.solve(a, a @ np.array([1.0, 2.0, 3.0]))
nkprint(np.round(x * 1e9) / 1e9 + 0.0); nkprint(a)
