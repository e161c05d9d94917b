# The user report's program as written there: NumPy arrays filled by Python loops (on
# CPython each element access is a NumPy scalar operation; under Numba, the report's setup
# minus the explicit signatures and the cache). NumPy's sum is pairwise and nk's is
# sequential, so the last digits may differ; the runner compares to a relative 1e-9.
import numpy as np
from twin import NUMBA, jit, run

if NUMBA:
    import numba

    def jit_never_inline(fn):
        return numba.njit(cache=False, inline="never")(fn)

else:
    jit_never_inline = jit


@jit_never_inline
def callee(n):
    arr1 = np.zeros(n)
    for i in range(n):
        arr1[i] = i * 1.1
    arr2 = np.full(2 * n, 3.14)
    arr3 = np.empty(2 * n)
    for i in range(2 * n):
        arr3[i] = arr2[i] + arr1[i // 2]
    return np.sum(arr1) + np.sum(arr3)


@jit
def caller(n):
    arr = np.zeros(n)
    for i in range(n):
        arr[i] = callee(i) * 1.1
    return np.sum(arr)


run(caller)
