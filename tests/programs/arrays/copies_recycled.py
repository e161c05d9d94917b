import numpy as np
from nkfmt import nkprint


def halves(a):
    if len(a) <= 2:
        return a.copy()
    m = len(a) // 2
    first = halves(a[:m].copy())
    second = halves(a[m:].copy())
    first[0] = first[0] + second[len(second) - 1]
    return first


def tail_view(a, k):
    c = a[k:].copy()
    return c[1:]


def sum_copies(a, rounds):
    s = 0
    for r in range(rounds):
        c = a[r % 3:].copy()
        c[0] = np.uint8(r)
        s += int(c[0]) + int(c[len(c) - 1]) + len(c)
    return s


x = np.arange(0.0, 37.0) * 0.5
h = halves(x)
nkprint(h, x[:4])
kept = tail_view(np.arange(12).astype(np.int32), 3)
other = tail_view(np.arange(20, 40).astype(np.int32), 5)
kept[0] = -1
nkprint(kept, other)
nkprint(sum_copies(np.arange(9).astype(np.uint8), 50))
m = np.arange(24.0).reshape(4, 6)
views = m[1:3].copy()
for i in range(6):
    c = m[i % 4].copy()
    c[i] = -c[i]
    views[i % 2, i] = c[i]
nkprint(views, m[1])
f = np.arange(10).astype(np.float32) / np.float32(4)
b = np.arange(10) % 3 == 0
for i in range(4):
    fc = f[i:].copy()
    bc = b[i:].copy()
    nkprint(fc[0], bc, len(f[10:].copy()))
s = np.arange(20)[::3]
sc = s.copy()
sc[0] = 99
nkprint(sc, s)
