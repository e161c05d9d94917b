import numpy as np
from nkfmt import nkprint

m = np.arange(12.0).reshape(4, 3)
other = np.arange(100.0, 112.0).reshape(4, 3)
s = 0.0
for i in range(4):
    s += float(np.sum(m[i])) * (i + 1)
    s += float(np.sum(m[-1 - i]))
nkprint(s)
for i in range(8):
    row = m[i // 2] if i % 2 == 0 else other[i // 2]
    nkprint(i, row)
alias = m[1]
for i in range(4):
    nkprint(alias, m[i])
for i in range(4):
    m[i][1] = -m[i][1]
nkprint(m)
n = np.arange(24).astype(np.int32).reshape(6, 4)
nkprint(sum(int(n[i][0]) * 1000 + int(n[i][-1]) for i in range(6)))
u = np.arange(10).astype(np.uint8).reshape(5, 2)
b = (np.arange(10) % 3 == 0).reshape(5, 2)
for i in range(5):
    nkprint(u[i], b[i])
c = np.arange(24.0).reshape(2, 3, 4)
for i in range(2):
    nkprint(c[i][2, 3], c[i].shape)
e = np.zeros((3, 0))
for i in range(3):
    nkprint(len(e[i]))
