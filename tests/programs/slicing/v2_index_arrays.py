from nkfmt import nkprint
import numpy as np
a = np.arange(10) * 10
idx = np.arange(3) * 3
nkprint(a[idx], a[np.arange(-1, -4, -1)], a[np.zeros(3, np.int64)], a[np.zeros(0, np.int64)])
nkprint(a[np.arange(4, dtype=np.int32)], a[np.arange(3, dtype=np.uint8) + 7], a[np.arange(6).reshape(2, 3)])
c = a[idx]
c[0] = -1
nkprint(a, c)
a[idx] = 7
nkprint(a)
a[np.arange(3)] = np.arange(3) - 100
nkprint(a)
a[np.zeros(3, np.int64)] = np.arange(3) + 1
nkprint(a)
a[np.zeros(3, np.int64)] += 1
nkprint(a)
a[np.arange(-2, 0)] -= 1000
nkprint(a)
a[np.arange(9, -1, -1)] = np.arange(10)
nkprint(a)
a[np.arange(4).reshape(2, 2)] = (np.arange(4) * -1).reshape(2, 2)
nkprint(a)
a[np.arange(2, dtype=np.int32)] *= 3
nkprint(a)
r = a[::-1]
nkprint(r[np.arange(3)])
r[np.arange(3)] = 0
nkprint(a)
p = np.arange(5)[::-1]
p[p] = 0
nkprint(p)
q = np.zeros(4, np.int64)
q[np.arange(2)] = np.linspace(1.9, 2.9, 2)
z = np.zeros(4)
z[np.arange(1, 3)] = np.arange(2) + 5
nkprint(q, z)
perm = np.argsort(np.linspace(3.0, 0.0, 4), kind="stable")
v = np.linspace(0.5, 2.0, 4)
back = np.zeros(4)
back[perm] = v[perm]
nkprint(perm, v[perm], back)
