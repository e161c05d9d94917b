from nkfmt import nkprint
import math
import numpy as np
def f(x): return x * x * x - 2.0 * x + 1.0
def simpson(fn, a, b, n):
    h = (b - a) / n; s = fn(a) + fn(b)
    for i in range(1, n):
        x = a + i * h
        s += (4.0 if i % 2 == 1 else 2.0) * fn(x)
    return s * h / 3.0
nkprint(float(np.round(simpson(f, 0.0, 2.0, 10) * 1e9)) / 1e9)
nkprint(float(np.round(simpson(math.sin, 0.0, math.pi, 100) * 1e9)) / 1e9)
