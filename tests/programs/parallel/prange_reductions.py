from nkfmt import nkprint
import numpy as np

def wrap(v, bits):
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >= 1 << (bits - 1) else v

def sums(n):
    a = sum(i * i for i in range(n))
    b = wrap(sum(i * 1000000 for i in range(n)), 32)
    c = sum(range(n)) % 256
    d = sum(i * 0.5 for i in range(n))
    e = np.float32(sum(range(n)))
    return (a, np.int32(b), np.uint8(c), float(d), e)

def products(n):
    p = 1
    for i in range(1, n + 1):
        p *= i
    r = 1
    for i in range(1, n + 1):
        r = wrap(r * i, 32)
    return (wrap(p, 64), 2.0 ** n, np.int32(r))

x = [3.5, -2.0, 7.25, 0.0, -9.5, 4.0]
k = [5, -3, 12, 0, 7, -8]
nkprint(sums(1000))
nkprint(sums(0))
nkprint(products(15))
nkprint((min(x), max(x), np.int32(min(k)), np.int32(max(k))))
m = np.zeros((4, 3))
offs = np.array([0.5, 1.5, 2.5])
for i in range(4):
    if i != 2:
        m[i, :] = float(i) ** 2 * 2.0 + offs
nkprint(m)
rows = [sum(i * j for j in range(20)) for i in range(20)]
nkprint((sum(rows), max(rows)))
nkprint(sum(i ** 3 + 100 for i in range(-5, 5)))
nkprint(7)
nkprint(100000)
nkprint(sum(range(30)) ** 2)
