from nkfmt import nkprint
import numpy as np
t = np.arange(0.0, 24.0).reshape(2, 3, 4)
nkprint(t.sum(), t.mean(), t.min(), t.max(), int(t.argmax()), t[0, 0, 1:4].prod())
nkprint(t[1, :, :].sum(), t[:, 1, :].sum(), t[:, :, 0].mean())
m = np.arange(16).reshape(4, 4)
nkprint(m[1:3, 1:3].sum(), m[:, 0].max(), int(m[:, 2].argmax()), int(m[2, :].argmin()))
