from nkfmt import nkprint
import numpy as np
a = np.arange(1.0, 4.0); b = np.arange(4.0, 7.0)
nkprint(np.dot(a, b), int(np.dot(np.arange(3), np.arange(3))))
m = np.arange(1.0, 7.0).reshape(2, 3); nkprint(m @ a)
n = np.arange(0.0, 6.0).reshape(3, 2); nkprint(m @ n, (n @ m).shape)
im = np.arange(4).reshape(2, 2); nkprint(im @ im, im @ np.arange(2))
