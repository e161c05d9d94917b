from nkfmt import nkprint
import numpy as np
def xorshift(x):
    x = x ^ ((x << 13) & 0xFFFFFFFFFFFFFFFF)
    x = x ^ (x >> 7)
    x = x ^ ((x << 17) & 0xFFFFFFFFFFFFFFFF)
    return x
def s64(v):
    return v - (1 << 64) if v >= (1 << 63) else v
x = 88172645463325252
for i in range(3):
    # i64 arithmetic: shift on the two's complement bits, >> arithmetic
    x = int(np.int64(x) ^ (np.int64(x) << np.int64(13)))
    x = int(np.int64(x) ^ (np.int64(x) >> np.int64(7)))
    x = int(np.int64(x) ^ (np.int64(x) << np.int64(17)))
    nkprint(x)
a = np.arange(10)
nkprint((a > 2) & (a < 7), (a < 2) | (a > 8), ~(a > 5), (a > 3) ^ (a > 6))
nkprint(a & 3, a | 8, a ^ 5, a << 2, a >> 1, ~a, -9 >> 1, -1 << 3)
u = np.arange(5, dtype=np.uint8)
nkprint(~u, u << 7, np.uint8(200) >> 2, np.uint8(255) << np.uint8(1), np.int32(-8) >> 1, ~np.int32(5), u & 1)
nkprint(True & False, True | False, True ^ True, not True, not False)
nkprint(1 + 2 << 3, 6 & 3 | 8, 5 ^ 1 & 3, (1 << 2) == 4, (2 | 1) < 4)
flags = 0
for k in range(5):
    flags = flags | (1 << (2 * k))
nkprint(flags, (flags & 16) != 0)
