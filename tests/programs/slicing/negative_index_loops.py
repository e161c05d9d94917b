from nkfmt import nkprint
import numpy as np


def shifted_sum(a):
    s = 0.0
    for i in range(len(a)):
        s += a[i - 1] * a[i]
    return s


def countdown(a, k):
    t = 0
    j = k
    while j > -len(a):
        j -= 1
        t += a[j]
    return t


def interior(m):
    r, c = m.shape
    s = 0.0
    for i in range(1, r - 1):
        for j in range(1, c - 1):
            s += m[i - 1, j] - m[i + 1, j] + m[i, j - 1] * m[i, j + 1] + m[-i, -j]
    return s


a = np.linspace(1.0, 8.0, 8)
nkprint(shifted_sum(a), countdown(np.arange(10), 0), countdown(np.arange(10), 5))
m = np.linspace(0.0, 2.3, 24).reshape(4, 6)
nkprint(interior(m))
b = np.arange(4)
acc = 0
for i in range(3):
    acc += b[i - 2]
nkprint(acc)
