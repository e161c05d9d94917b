"""Reproduce nk's `print` output format in Python (used by the test twins).

nkprint(*args): arguments formatted and separated by one space, then a newline.
  - bool / numpy.bool_          -> true / false
  - int / numpy integer         -> decimal
  - float / numpy floating      -> repr(float(x))  (1.0, 1e-05, 1e+16, inf, nan, -0.0)
  - numpy.float32               -> its shortest digits in repr's layout (0.1, 0.33333334)
  - str                         -> as is
  - numpy.ndarray / list        -> nested lists, elements separated by ", "
  - tuple                       -> (a, b), 1-tuple (a,), empty (); a str in it as repr()

nkpow(x, e): nk's `**` on floats (`runtime::ops::powf`), which Python's `**` is not in the
last bit: an integer exponent 0..=32 by repeated squaring (as Numba does), 0.5 by a square
root, any other by pow.
"""
import math
import sys

import numpy as np


def nkfmt(x):
    if isinstance(x, (bool, np.bool_)):
        return "true" if x else "false"
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if isinstance(x, np.float32):
        # nk prints the shortest digits that read back to the same f32, laid out as
        # Python's repr: those digits read as a Python float have the same repr.
        return repr(float(np.format_float_scientific(x, unique=True)))
    if isinstance(x, (float, np.floating)):
        return repr(float(x))
    if isinstance(x, str):
        return x
    if isinstance(x, np.ndarray):
        if x.ndim == 0:
            return nkfmt(x[()])
        if x.dtype.kind not in "biuf":
            raise TypeError("nkfmt: unsupported array dtype %s" % x.dtype)
        if x.dtype == np.float32:
            return nkfmt(list(x)) if x.ndim == 1 else "[" + ", ".join(nkfmt(r) for r in x) + "]"
        return nkfmt(x.tolist())
    if isinstance(x, list):
        return "[" + ", ".join(nkfmt(e) for e in x) + "]"
    if isinstance(x, tuple):
        item = lambda e: repr(e) if isinstance(e, str) else nkfmt(e)
        if len(x) == 1:
            return "(" + item(x[0]) + ",)"
        return "(" + ", ".join(item(e) for e in x) + ")"
    raise TypeError("nkfmt: cannot format %r of type %s" % (x, type(x).__name__))


def nkprint(*args):
    sys.stdout.write(" ".join(nkfmt(a) for a in args) + "\n")


def nkpow(x, e):
    x, e = float(x), float(e)
    if e == 0.5:
        return math.inf if x == -math.inf else (math.nan if x < 0 else abs(math.sqrt(x)))
    if 0 <= e <= 32 and e.is_integer():
        acc, base, k = None, x, int(e)
        while k:
            if k & 1:
                acc = base if acc is None else acc * base
            k >>= 1
            if k:
                base = base * base
        return 1.0 if acc is None else acc
    return x ** e


def wrap64(v):
    """Wrap a Python int to a signed 64-bit two's-complement value (nk i64 semantics)."""
    v &= (1 << 64) - 1
    return v - (1 << 64) if v >= (1 << 63) else v
