from nkfmt import nkprint
import numpy as np

s = 0
for k in range(3):
    if k == 1:
        continue
    s += k * 10
    nkprint("a", k)
for k in range(2, 6):
    if k == 4:
        break
    s += k
    nkprint("b", k)
for k in range(3):
    s += (k + 100) + k
m = np.arange(12).reshape(3, 4)
t = 0
for i in range(3):
    for j in range(-2, 1):
        t += int(m[i, j]) * (i + 1)
nkprint(s, t)
