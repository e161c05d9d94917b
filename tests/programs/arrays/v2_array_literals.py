from nkfmt import nkprint
import numpy as np
a = np.array([1.0, 2.0, 3.0]); b = np.array([[1, 2], [3, 4]]); c = np.array([1, 2.5])
x = np.float32(1.5)
d = np.array([x, 1.0, 2]); e = np.array([[[1, 2]], [[3, 4]]])
nkprint(a, b, c, d, e, np.array([True, False]), np.array([-1, 2]), b @ np.array([1, 1]), np.array([[1, 2], [3, 4]]).sum(0))
n = 3
nkprint(np.array([n, n * 2, n + 0.5]), np.array([np.uint8(1), 300 - 100]))
for v in [10, 20]:
    nkprint(v)
nkprint(np.array([[1.5, 2], [3, 4]]).shape, np.array([x, x]) * 2, np.array([1e300, -0.0]))
