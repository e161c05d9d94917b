from nkfmt import nkprint
import numpy as np
a = np.array([3.5, -1.0, 2.0, -7.25, 2.0, 0.0])
nkprint(np.sort(a), a)
i = np.arange(10) * 7 % 10 - 5; nkprint(i, np.sort(i))
nkprint(np.sort(np.zeros(0)), np.sort(np.arange(1)))
v = np.arange(6).reshape(2, 3); nkprint(np.sort(v[:, 1] * -1))
