from nkfmt import nkprint
import numpy as np
def escape(cr, ci, maxit):
    zr = 0.0; zi = 0.0; k = 0
    while k < maxit and zr * zr + zi * zi <= 4.0:
        t = zr * zr - zi * zi + cr
        zi = 2.0 * zr * zi + ci
        zr = t; k += 1
    return k
w = 24; h = 12; c = np.zeros((h, w))
for j in range(h):
    for i in range(w):
        c[j, i] = escape(-2.0 + 2.5 * i / w, -1.0 + 2.0 * j / h, 50)
nkprint(c[6, :].astype(np.int64)); nkprint(c.sum(), c.max(), int(c.argmax()))
