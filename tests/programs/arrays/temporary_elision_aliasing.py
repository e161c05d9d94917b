import numpy as np
from nkfmt import nkprint
def same(x):
    return x
a = np.linspace(1.0, 3.0, 3)
b = a * 2.0
c = b + 1.0
nkprint(a, b, c)
d = same(a) + 10.0
nkprint(a, d)
v = a[0:2]
e = v + 100.0
f = a[1:3] * 3.0
nkprint(a, v, e, f)
g = a.copy() - 1.0
nkprint(a, g)
h = 2.0 - (a * 3.0)
k = (a * 1.0) / (a + 1.0)
nkprint(a, h, k)
t = (a * 5.0, 1)
u = t[0] + 1.0
nkprint(t, u)
m = np.arange(6).reshape((2, 3))
n = np.transpose(m.astype(np.float64) * 1.0) + 0.5
nkprint(m, n)
i = np.arange(3) + 0.5
j = np.arange(3).astype(np.float64) ** 2.0 + a
nkprint(i, j)
w = a
z = (w * 1.0) + w
nkprint(w, z)
