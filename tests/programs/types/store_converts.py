from nkfmt import nkprint
import numpy as np
import warnings
warnings.simplefilter("ignore")
a = np.arange(3); a[0] = 1.5; a[1] = -2.7
nkprint(a)
u = np.zeros(4, np.uint8)
u[0] = np.int64(300).astype(np.uint8); u[1] = np.int64(-1).astype(np.uint8)
u[2] = np.int64(1000).astype(np.uint8); u[3] = 7.9
nkprint(u)
f = np.zeros(2, np.float32); f[0] = 0.1; f[1] = np.float32(1e40)
nkprint(f)
b = np.zeros(3, bool); b[0] = 2; b[2] = 0.5
nkprint(b)
m = np.zeros((2, 2), np.int32); m[0, :] = 2.9; m[1, :] = np.arange(2) - 5
nkprint(m)
