from nkfmt import nkprint
import numpy as np
t = np.arange(0.0, 24.0).reshape(2, 3, 4)
nkprint(t[1, :, :])
nkprint(t[:, 1, 2], t[0, 2, :], t[1, 0:2, 1:3])
nkprint(t[:, :, 0].shape, t[0:1, 1:3, :].shape)
t[0, :, :] = 0.0; t[1, 2, :] = -1.0; t[:, 0, 0] += 1000.0
plane = t[1, :, :]; plane[0, 1] = 55.0
nkprint(t)
