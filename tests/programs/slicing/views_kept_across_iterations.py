from nkfmt import nkprint
import numpy as np


def tail(a, k):
    return a[k:]


def make():
    base = np.zeros((4, 3))
    for i in range(4):
        for j in range(3):
            base[i, j] = i * 10.0 + j
    return base


m = make()
keep = m[0]
first = m[0]
s = 0.0
for i in range(4):
    row = m[i]
    s += row[0] + row[2]
    if i == 2:
        keep = row
nkprint(s, keep, first)
cur = m[3]
seen = 0.0
while len(cur) > 0:
    seen = seen * 100.0 + cur[0]
    cur = cur[1:]
nkprint(seen, len(cur))
t = tail(m[1], 1)
u = tail(t, 1)
m[1, 2] = -5.0
nkprint(t, u)
v = make()[2]
nkprint(v, len(v))
views = 0.0
last = m[0][0:1]
for k in range(3):
    last = m[k][k:]
    views += last[0]
nkprint(views, last)
