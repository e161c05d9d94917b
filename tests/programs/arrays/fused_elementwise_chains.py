from nkfmt import nkprint
import numpy as np


def chains(a, b):
    c = a * 2.0 + b
    d = c * 0.5 - b * 0.25
    e = (a + b) / (a - b + 10.0)
    f = a * 2 + 1
    with np.errstate(divide="ignore", invalid="ignore"):
        g = 1.0 / (a * 0.0)
    a = a * 3.0 + a
    nkprint(c, d, e, f, g, a)


a = np.linspace(-1.0, 2.0, 5)
b = np.arange(5) * 0.5
chains(a, b)
m = (np.arange(12) * 1.0).reshape((3, 4))
nkprint(m * m - m / 2.0)
t = (np.arange(24) * 0.25).reshape((2, 3, 4))
nkprint((t + 1.0) * (t - 1.0))
col = m[:, 1] * 2.0 + m[:, 0]
row = m[1, :] * m[2, :] + 1.0
nkprint(col, row)
i = np.arange(6)
nkprint(i * 3 + i, (i + 1) * (i - 1), i * 2 / 4)
nkprint((a + 1.0) * 2.0 > a)
acc = np.zeros(5)
for k in range(100):
    acc = acc * 0.5 + a
nkprint(acc)
