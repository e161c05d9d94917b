from nkfmt import nkprint
import numpy as np
m = np.zeros((3, 4)); m[0, :] = 1.0; m[:, 3] = np.arange(3) + 7
m[1:3, 0:2] = np.arange(1.0, 5.0).reshape(2, 2); m[2, 1:3] = np.linspace(8.0, 9.0, 2)
nkprint(m); m[:, :] = 0.5; nkprint(m)
