import numpy as np
from nkfmt import nkprint

g = np.linspace(-1.5, 3.0, 4).astype(np.float32)
u = np.arange(4, dtype=np.uint8) + 1
m = np.arange(8, dtype=np.uint8).reshape((2, 4))
x = g @ u
y = m @ g
z = g.reshape((2, 2)) @ u.reshape((2, 2))
w = g[0:2] @ u.reshape((2, 2))
o = np.outer(g[0:2], u)
for v in (x, y, z, w, o):
    assert v.dtype == np.float32, v.dtype
nkprint(x, y, z, w, o, np.dot(u, g) == x)
nkprint(g @ np.arange(4, dtype=np.int32), np.int64(u.astype(np.int64) @ u.astype(np.int64)), np.arange(4, dtype=np.int32) @ u)
