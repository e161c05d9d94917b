"""Shared by the Python twins of the benchmark kernels (not a kernel itself).

    python3 NAME.py N                          CPython (and NumPy where the kernel uses it)
    python3 NAME.py --numba N                  functions marked @jit compiled by numba.njit
    python3 NAME.py --numba --compile-time N   also measure Numba's compile time

A twin defines its kernel as a function of the size, marks it (and its callees) with
@jit, and ends with `run(kernel)`, which prints the result as the one line the runner
compares with nvm's. With --compile-time the kernel is called 1 + WARM_CALLS times and
stderr gets one JSON line: {"numba_compile_ms": first call - best warm call, "numba_run_ms":
best warm call} (the runner's nvm side takes the best of its warm calls alike).

`zeros` and `full` build Python lists on CPython (faster there than NumPy element access)
and NumPy arrays under Numba, so a scalar-loop kernel is the same source in both modes.
"""

import json
import sys
import time

FLAGS = [a for a in sys.argv[1:] if a.startswith("--")]
SIZES = [a for a in sys.argv[1:] if not a.startswith("--")]
NUMBA = "--numba" in FLAGS
COMPILE_TIME = "--compile-time" in FLAGS
if COMPILE_TIME:
    import os

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from run import WARM_CALLS  # the runner's, so both sides take the same best-of

if NUMBA:
    import numba  # not installed: the runner checks first and says so
    import numpy as np

    zeros = np.zeros
    full = np.full

    def jit(fn):
        return numba.njit(cache=False)(fn)

else:

    def zeros(n):
        return [0.0] * n

    def full(n, v):
        return [v] * n

    def jit(fn):
        return fn


def fmt(v):
    """One value as nk prints it: floats as Python's repr, integers in decimal."""
    if isinstance(v, (int, bool)) or type(v).__name__.startswith(("int", "uint")):
        return str(int(v))
    return repr(float(v))


def run(kernel):
    """Call kernel(N) and print its result (a number or a tuple of numbers) on one line."""
    if len(SIZES) != 1 or (COMPILE_TIME and not NUMBA):
        sys.exit(f"usage: python3 {sys.argv[0]} [--numba [--compile-time]] N")
    n = int(SIZES[0])
    t0 = time.perf_counter()
    result = kernel(n)
    t1 = time.perf_counter()
    if COMPILE_TIME:
        warm = []
        for _ in range(WARM_CALLS):
            t2 = time.perf_counter()
            kernel(n)
            warm.append((time.perf_counter() - t2) * 1e3)
        first, second = (t1 - t0) * 1e3, min(warm)
        stats = {"numba_compile_ms": round(max(first - second, 0.0), 3), "numba_run_ms": round(second, 3)}
        print(json.dumps(stats), file=sys.stderr)
    values = result if isinstance(result, tuple) else (result,)
    print(" ".join(fmt(v) for v in values))
