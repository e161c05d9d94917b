import numpy as np
from nkfmt import nkprint
m = np.array([[2.0, 1.0], [1.0, 2.0]])
d = np.diag([1.0, 5.0, 3.0])
nkprint(float(np.round(np.linalg.eigvalsh(m).max() * 1e9)) / 1e9)
nkprint(float(np.round(np.linalg.eigvalsh(d).max() * 1e6)) / 1e6)
