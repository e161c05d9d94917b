import numpy as np
from nkfmt import nkprint


def scan(a):
    s = 0.0
    i = 0
    while i < len(a):
        s = s * 0.5 + a[i] - a[i - 1]
        j = i
        s += a[j]
        i += 1
    return s


def pairs(a, b):
    t = 0
    i = 0
    while len(a) > i:
        if i < len(b):
            t += a[i] * b[i]
        else:
            t += a[i]
        i += 1
    return t


def halves(a):
    t = 0
    i = 0
    while i < len(a):
        k = i
        k = k // 2
        t = t * 3 + a[k] + a[i]
        i += 1
    return t


def skip_two(a):
    s = 0.0
    i = 1
    while i < len(a):
        s += a[i]
        i += 2
        if i < len(a):
            s -= a[i] * 0.25
    return s


nkprint(scan(np.array([1.0, 2.0, 4.0, 8.0])), scan(np.zeros(0)), scan(np.array([3.0])))
nkprint(pairs(np.array([1, 2, 3, 4, 5]), np.array([10, 20])), pairs(np.array([1, 2]), np.array([3, 4, 5])))
nkprint(halves(np.array([1, -2, 3, -4, 5, -6, 7])))
nkprint(skip_two(np.arange(9) * 1.5), skip_two(np.array([2.0, 4.0])))
