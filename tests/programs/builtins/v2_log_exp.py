from nkfmt import nkprint
import math
import numpy as np
nan = float("nan"); inf = float("inf")

def ew(f, *arrs):
    arrs = [np.broadcast_to(np.asarray(a, dtype=float), np.broadcast(*arrs).shape) for a in arrs]
    out = np.array([f(*map(float, vals)) for vals in zip(*[a.ravel() for a in arrs])], dtype=float)
    return out.reshape(arrs[0].shape)

def log1p(x):
    if x == -1.0: return -inf
    if x < -1.0 or x != x: return nan
    return math.log1p(x)

def expm1(x):
    try: return math.expm1(x)
    except OverflowError: return inf

def log2(x):
    if x == 0.0: return -inf
    if x < 0.0 or x != x: return nan
    return math.log2(x)

def exp2(x):
    try: return 2.0 ** x
    except OverflowError: return inf

t = np.array([0.0, -0.0, 1e-300, -1e-300, 1e-20, -1e-10, 1e-8, 1e-5, -1e-5, 0.01, 0.1, -0.1, 0.3, -0.3, 0.5, 2e-7])
nkprint(ew(log1p, t))
nkprint(ew(expm1, t))
w = np.array([-1.0, -2.0, inf, -inf, nan, 2.0, 10.0, 1e300, -0.75, 709.0, 710.0, -40.0, 45.5, -0.9999])
nkprint(ew(log1p, w))
nkprint(ew(expm1, w))
nkprint(ew(log1p, np.linspace(-0.9, 3.0, 14)), ew(expm1, np.linspace(-3.0, 3.0, 13)))
nkprint(ew(log1p, np.arange(4)), ew(expm1, np.arange(-2, 2)), ew(log1p, t[0:6].reshape(2, 3)))
p = np.array([1.0, 8.0, 0.5, 1024.0, 5e-324, 0.0, -1.0, inf, nan, 1e308])
nkprint(ew(log2, p), ew(log2, np.arange(1, 9)), ew(log2, p[0:4].reshape(2, 2)))
nkprint(ew(exp2, p), ew(exp2, np.arange(-3, 4)), exp2(0.5), exp2(10), exp2(-1074), exp2(1024.0))
a = np.array([3.0, 5.0, 1e200, 3e-200, inf, nan, 0.0, 1e300])
b = np.array([4.0, -12.0, 1e200, 4e-200, nan, 1.0, -0.0, 1.0])
nkprint(ew(math.hypot, a, b), ew(math.hypot, np.arange(4), 4), ew(math.hypot, 0.0, np.arange(3)), ew(math.hypot, a[0:4].reshape(2, 2), 0.0))
