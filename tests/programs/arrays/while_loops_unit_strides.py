import numpy as np
from nkfmt import nkprint


def dot_cursors(a, b):
    s = 0.0
    i = 0
    j = 0
    while i < len(a) and j < len(b):
        s = s * 0.5 + a[i] * b[j]
        i += 1
        j += 2
    return s


def zip_into(a, b, out):
    i = 0
    k = 0
    while i < len(a) and k + 1 < len(out):
        out[k] = a[i]
        out[k + 1] = b[i]
        i += 1
        k += 2
    return k


x = np.arange(10) * 1.5
y = np.arange(20) * 0.25 - 1.0
nkprint(dot_cursors(x, y), dot_cursors(x[::2], y), dot_cursors(x[::-1], y[::3]))
m = np.reshape(np.arange(12) * 1.0, (4, 3))
nkprint(dot_cursors(m[:, 1], y), dot_cursors(y, m[2]))
out = np.full(9, -1)
nkprint(zip_into(np.array([1, 2, 3, 4]), np.array([10, 20, 30, 40]), out), out)
wide = np.full(12, -1)
nkprint(zip_into(np.array([5, 6, 7]), np.array([8, 9, 10]), wide[::2]), wide)
nkprint(zip_into(np.arange(6)[::-2], np.arange(3), np.full(7, 0)))
