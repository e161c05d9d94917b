from nkfmt import nkprint
import numpy as np
m = np.zeros((3, 5))
nkprint(m.shape[0], m.shape[1], m.shape[-1], m.shape[-2])
t = (1, 2.5, (True, 7))
nkprint(t[0], t[1], t[2][0], t[-1][-1], t[2][1])
def rows(a):
    return a.shape[0]
nkprint(rows(m), rows(np.zeros(4)), np.arange(24).reshape(2, 3, 4).shape[2])
for i in range(m.shape[0]):
    m[i] = i
nkprint(m)
nkprint(m.shape[0], m.T.shape[-1], m[::2].shape[0])
