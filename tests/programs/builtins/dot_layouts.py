import numpy as np
from nkfmt import nkprint


def mat(r, c, k):
    return ((np.arange(r * c).reshape(r, c) * 7 + k) % 11).astype(np.float64) - 5.0


def show(c):
    r, k = c.shape
    if r * k == 0:
        nkprint(c.shape, c.sum())
    else:
        nkprint(c.shape, c.sum(), c[0, 0], c[r - 1, k - 1], c[r // 2, k // 3])


for n in [0, 1, 7, 65, 300]:
    a = mat(n, n + 3, 1)
    b = mat(n + 3, n, 2)
    af = np.asfortranarray(a)
    bf = np.asfortranarray(b)
    show(a @ b)
    show(af @ b)
    show(a @ bf)
    show(np.dot(af, bf))
    show(b.T @ a.T)
    show(a.astype(np.float32) @ bf.astype(np.float32))
    big = mat(2 * n + 1, 3 * n + 9, 3)
    s = big[::2, ::3]
    show(s @ b)
    show(big[::-2, ::-3] @ bf)
    v = (np.arange(n + 3) % 5).astype(np.float64) - 2.0
    w = (np.arange(n) % 3).astype(np.float64) - 1.0
    nkprint(a @ v, w @ a, v @ v, w @ w, v.astype(np.float32) @ v.astype(np.float32))
    nkprint((big[::2, ::3] @ v[::-1]).shape, (a @ v[::-1]).sum(), (w[::-1] @ af).sum())
m = mat(3, 4, 0)
k = np.arange(12).reshape(4, 3)
nkprint(m @ k, m.astype(np.float32) @ k.astype(np.float32), m.astype(np.float32) @ m.T, k @ np.arange(3.0))
