# A scan written as a loop: the cumulative sum of n LCG values into a second array,
# 10 times, as prefix_sum.nk (lists on CPython, f64 arrays under Numba).
from twin import jit, run, zeros


@jit
def scan(a, out, start):
    s = start
    for i in range(len(a)):
        s += a[i]
        out[i] = s


@jit
def prefix_sum(n):
    a = zeros(n)
    s = 12345
    for i in range(n):
        s = (1103515245 * s + 12345) % 2147483648
        a[i] = s / 2147483648.0 - 0.5
    out = zeros(n)
    check = 0.0
    for r in range(10):
        scan(a, out, float(r))
        check += out[n - 1] + out[n // 2]
    return check, out[n - 1]


run(prefix_sum)
