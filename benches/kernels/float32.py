# f32 arrays: elementwise `x * 2.5 + y` on float32 arrays (20 rounds), then a sequential
# float32 sum (a loop, so every configuration adds in the same order as nk).
import numpy as np
from twin import jit, run


@jit
def float32(n):
    x = np.arange(n).astype(np.float32) * np.float32(0.001)
    y = np.ones(n, dtype=np.float32)
    for r in range(20):
        y = x * np.float32(2.5) + y
    s = np.float32(0)
    for i in range(n):
        s += y[i]
    return s


run(float32)
