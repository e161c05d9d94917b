from nkfmt import nkprint
import numpy as np
a = np.arange(10)
nkprint(a[a > 5], a[a % 3 == 0], a[a < 0], a[a >= 0])
sel = a[a > 5]
sel[0] = 100
nkprint(a, len(a[a > 100]), a[a % 2 == 1].sum())
a[a > 6] = 0
nkprint(a)
a[a == 0] = np.arange(4) + 1
nkprint(a)
a[a < 3] += 10
nkprint(a)
a[a > 10] *= -1
nkprint(a)
a[a > 1000] = 5
a[a > 1000] += 5
nkprint(a)
b = np.zeros(4)
b[b == 0.0] = 3
b[np.arange(4) % 2 == 0] -= 0.5
nkprint(b)
m = np.arange(12).reshape(3, 4)
nkprint(m[m % 5 == 1], m[m > 20], m[m >= 0])
m[m % 2 == 0] = -1
nkprint(m)
m[m < 0] += np.arange(6) * 100
nkprint(m)
t = np.arange(24.0).reshape(2, 3, 4)
nkprint(t[t > 17.5])
t[t < 20.0] = 0.0
nkprint(t[t > 0.0], t.sum())
r = np.arange(6)[::-1]
nkprint(r[r % 2 == 0])
r[r > 2] = 0
nkprint(r)
mm = np.arange(6).reshape(2, 3)
mask = mm > 1
nkprint(mm[::-1][mask[::-1]], mm[:, ::-1][mask])
f = np.linspace(-1.0, 1.0, 5)
nkprint(f[f > 0.0], f[np.isnan(f)])
f[f < 0.0] = 0
nkprint(f)
u = np.arange(6, dtype=np.uint8)
u[u > 2] += 254
nkprint(u)
g = np.ones(3, np.float32)
g[g > 0.0] = 0.1
nkprint(g)
bb = np.arange(5) > 2
nkprint(bb[bb], bb[bb == False])
