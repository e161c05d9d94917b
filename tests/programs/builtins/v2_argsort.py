from nkfmt import nkprint
import numpy as np
nan = float("nan")
a = np.array([3.0, nan, -1.0, 3.0, -0.5, nan, -1.0])
nkprint(np.argsort(a, kind="stable"))
t = np.arange(40) * 7 % 5
nkprint(np.argsort(t, kind="stable"))
nkprint(np.argsort(np.zeros(0), kind="stable"), np.argsort(np.arange(1), kind="stable"), np.argsort(np.arange(5) * -1, kind="stable"))
v = np.arange(100) * 37 % 101 - 50
s = np.argsort(v, kind="stable")
nkprint(s)
nkprint(bool(np.all(v[s][:-1] <= v[s][1:])))
u = np.array([float((i * 13) % 7) * 0.5 for i in range(50)])
u[17] = nan
nkprint(np.argsort(u, kind="stable"))
nkprint(np.argsort(u[10:30], kind="stable"))
m = (np.arange(12) % 4).reshape(3, 4)
nkprint(np.argsort(m[:, 2], kind="stable"), np.argsort(m[1, :], kind="stable"))
