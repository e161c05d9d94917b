# Scalar i64 loop: s += i*i % 7.
from twin import jit, run


@jit
def sum_squares(n):
    s = 0
    for i in range(n):
        s += i * i % 7
    return s


run(sum_squares)
