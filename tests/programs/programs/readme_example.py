# The user report's program (../shared/seed/numba-cache-bloat.txt) without Numba. nk's
# `sum` is NumPy's pairwise summation, so numpy.sum gives the same bits.
import sys
import numpy
from nkfmt import nkprint


def callee(n):
    arr1 = numpy.zeros(n)
    for i in range(n):
        arr1[i] = i * 1.1
    arr2 = numpy.full(2 * n, 3.14)
    arr3 = numpy.empty(2 * n)
    for i in range(2 * n):
        arr3[i] = arr2[i] + arr1[i // 2]
    return numpy.sum(arr1) + numpy.sum(arr3)


def caller(n):
    arr = numpy.zeros(n)
    for i in range(n):
        arr[i] = callee(i) * 1.1
    return numpy.sum(arr)


n = int(sys.argv[1])
nkprint("caller", n, "=", caller(n))
