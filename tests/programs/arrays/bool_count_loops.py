from nkfmt import nkprint
import numpy as np


def count(m, lo, hi):
    c = 0
    for k in range(lo, hi):
        if m[k]:
            c += 1
    return c


def count_behind(m, n):
    c = 100
    for k in range(1, n):
        if m[k - 1]:
            c += 3
    return c


m = np.array([k % 3 == 0 or k % 7 == 2 or k > 33 for k in range(40)])
for lo in [0, 1, 5, 8]:
    row = np.array([count(m, lo, lo + hi) for hi in range(20)])
    nkprint(lo, row)
nkprint(count(m, 0, 40), count_behind(m, 40), count_behind(m, 9), count(m[::2], 0, 20))
nkprint(count(m, -5, 3), count(m[3:], 0, 37), count(m[31:], 0, 9))
