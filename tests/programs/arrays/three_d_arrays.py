from nkfmt import nkprint
import numpy as np
t = np.zeros((2, 3, 4))
for i in range(2):
    for j in range(3):
        for k in range(4):
            t[i, j, k] = i * 100 + j * 10 + k
nkprint(t[1, 2, 3], t[0, 1, 2], t.sum(), t.shape)
u = t * 2.0 + 1.0
nkprint(u[1, 0, 0], u.max(), int(np.argmax(u)))
t[1, 1, 1] += 0.5; nkprint(t[1, 1, 1])
