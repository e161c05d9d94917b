# f64 accumulation, a few float ops per iteration (mul, add, div, sub).
from twin import jit, run


@jit
def float_loop(n):
    s = 0.0
    x = 0.5
    for i in range(n):
        x = x * 1.000001 + 0.25
        if x > 1000.0:
            x = x / 3.0
        s += x * 0.5 - s * 1e-6
    return s


run(float_loop)
