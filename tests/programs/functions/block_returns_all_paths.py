import numpy as np
from nkfmt import nkprint
def twice(x): return x * 2
def pick(x): return 1 if x > 0 else 2
def nested(x):
    y = x + 1
    return y if y > 5 else -y
def search(a, v):
    i = 0
    while True:
        if a[i] == v: return i
        i += 1
nkprint(twice(21), pick(3), pick(-3), nested(10), nested(1))
nkprint(search(np.arange(10) * 2, 14), search(np.linspace(0.0, 1.0, 5), 0.75))
