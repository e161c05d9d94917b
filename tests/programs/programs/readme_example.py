# The user report's program (../shared/seed/numba-cache-bloat.txt) without Numba. nk's
# `sum` adds left to right, so the sums here do too (NumPy's pairwise sum may differ in
# the last bits).
import sys
import numpy
from nkfmt import nkprint


def seq_sum(a):
    s = 0.0
    for x in a:
        s += float(x)
    return s


def callee(n):
    arr1 = numpy.zeros(n)
    for i in range(n):
        arr1[i] = i * 1.1
    arr2 = numpy.full(2 * n, 3.14)
    arr3 = numpy.empty(2 * n)
    for i in range(2 * n):
        arr3[i] = arr2[i] + arr1[i // 2]
    return seq_sum(arr1) + seq_sum(arr3)


def caller(n):
    arr = numpy.zeros(n)
    for i in range(n):
        arr[i] = callee(i) * 1.1
    return seq_sum(arr)


n = int(sys.argv[1])
nkprint("caller", n, "=", caller(n))
