import numpy as np
from nkfmt import nkprint


def merge(a, b, out):
    i = 0
    j = 0
    k = 0
    while i < len(a) and j < len(b):
        if a[i] <= b[j]:
            out[k] = a[i]
            i += 1
        else:
            out[k] = b[j]
            j += 1
        k += 1
    while i < len(a):
        out[k] = a[i]
        i += 1
        k += 1
    while j < len(b):
        out[k] = b[j]
        j += 1
        k += 1
    return out


def merge_desc(a, b, out):
    i = 0
    j = 0
    k = 0
    taken_a = 0
    while i < len(a) and j < len(b):
        x = a[i]
        y = b[j]
        if x > y:
            out[k] = x * 10 + 1
            i += 1
            taken_a += 1
        else:
            out[k] = y * 10 + 2
            j += 1
        k += 1
    return taken_a * 1000 + k


def pick(keys, left, right, out):
    for i in range(len(keys)):
        l = left[i]
        r = right[i]
        if keys[i] > 127:
            out[i] = left[i]
        else:
            out[i] = right[i]
    return out


def choose(a, b, c, i):
    x = 0.0
    if c:
        x = a[i]
    else:
        x = b[i]
    return x


inf = np.inf
nan = np.nan
a = np.array([0.5, 1.0, 1.0, 3.0, inf, nan])
b = np.array([-inf, 1.0, 2.0, 2.5, 9.0])
nkprint(merge(a, b, np.zeros(11)))
nkprint(merge(b, a, np.zeros(11)))
nkprint(merge(np.array([1.0, 2.0]), np.array([0.0, 3.0, 4.0, 5.0]), np.zeros(6)))
nkprint(merge(np.zeros(0), np.array([7.0]), np.zeros(1)))
wide = np.zeros(22)
nkprint(merge(a, b, wide[::2]), wide)
nkprint(merge(a[::-1], b[1:], np.zeros(10)))
out = np.full(9, -1)
nkprint(merge_desc(np.array([9, 7, 7, 2]), np.array([8, 7, 3, 1, 0]), out), out)
keys = np.array([200, 3, 128, 127, 255, 0])
lo = np.arange(6) * 1.5
hi = np.arange(6) * -2.25
nkprint(pick(keys.astype(np.uint8), lo.astype(np.float32), hi.astype(np.float32), np.zeros(6, dtype=np.float32)))
nkprint(choose(np.array([1.0, 2.0]), np.array([3.0, 4.0]), True, 1), choose(np.array([1.0, 2.0]), np.array([3.0, 4.0]), False, -1))
