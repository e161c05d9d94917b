import numpy as np
from nkfmt import nkprint
x, y, z = 0.1, 3.0, 0.7
nkprint(x * y + z, z + x * y, x * y - z, z - x * y)
big = np.int64(9223372036854775807)
with np.errstate(over='ignore'):
    nkprint(int(big * np.int64(2) + np.int64(5)), int(np.int64(7) + big * np.int64(3)),
            int(big * np.int64(2) - np.int64(1)), int(np.int64(1) - big * np.int64(2)))
log = [0]
def tick(v):
    log[0] = log[0] * 10 + v
    return v
r = tick(1) * tick(2) + tick(3)
s = tick(4) - tick(5) * tick(6)
nkprint(r, s, log[0])
m = np.zeros((3, 3))
for i in range(3):
    for j in range(3):
        m[i, j] = i * 3 + j
nkprint(m)
