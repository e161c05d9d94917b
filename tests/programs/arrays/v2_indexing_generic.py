from nkfmt import nkprint
import numpy as np
def clip_negatives(a):
    a[a < 0] = 0
    return a[::-1]
def pairs(x):
    return x[::2] + x[1::2]
def last_rows_flipped(m):
    return m[::-1][0][::-1]
def gather_sum(a, idx):
    s = a[idx]
    return s.sum()
nkprint(clip_negatives(np.arange(-3, 3)))
nkprint(clip_negatives(np.linspace(-1.0, 1.0, 5)))
nkprint(clip_negatives(np.arange(-2, 2, dtype=np.int32)))
nkprint(clip_negatives(np.arange(-3, 3).reshape(2, 3)))
nkprint(pairs(np.arange(6)), pairs(np.linspace(0.0, 1.0, 4)), pairs(np.arange(6, dtype=np.uint8)))
nkprint(last_rows_flipped(np.arange(6).reshape(2, 3)), last_rows_flipped(np.arange(24.0).reshape(2, 3, 4)))
nkprint(gather_sum(np.arange(10), np.arange(3)), gather_sum(np.linspace(0.0, 1.0, 5), np.arange(2, dtype=np.int32) * 2))
def odd_even_sort(v):
    n = len(v)
    for k in range(n):
        lo = v[k % 2:n - 1:2]
        hi = v[k % 2 + 1::2]
        m = len(hi)
        a = lo[:m].copy()
        b = hi.copy()
        swap = a > b
        lo[:m][swap] = b[swap]
        hi[swap] = a[swap]
    return v
nkprint(odd_even_sort(np.arange(9)[::-1] * 3 % 7), odd_even_sort(np.linspace(1.0, 0.0, 6)))
