#!/usr/bin/env python3
"""Write the .npy fixtures of src/runtime/files/npy/tests.rs into tests/data/npy/.

Run from anywhere: python3 tests/data/gen_npy.py (needs NumPy; the files are committed, so
the tests do not). Re-running rewrites the same bytes.

Readable fixtures: NAME.npy holds an array of the given dtype, shape, order and version whose
element at flat C-order index k (row-major, whatever the file's order) is value(kind, k):
    bool   k % 3 == 0
    u8     (k * 7) % 256
    i32    k * 7 - 20
    i64    k * 1_000_000_007 - 5          (needs more than 32 bits)
    f32    k * 0.5 - 3.25                 (exact in f32)
    f64    k * 0.25 - 2.0 + k * 1e-9      (digits past f32's reach)
The Rust test computes the same values from the same table (FIXTURES there).

Refused fixtures (bad_*.npy): dtypes and ranks nk does not read.
"""
import os

import numpy as np
from numpy.lib import format as npf

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "npy")


def value(kind, n):
    k = np.arange(n, dtype=np.int64)
    if kind == "bool":
        return k % 3 == 0
    if kind == "u8":
        return ((k * 7) % 256).astype(np.uint8)
    if kind == "i32":
        return (k * 7 - 20).astype(np.int32)
    if kind == "i64":
        return k * 1_000_000_007 - 5
    if kind == "f32":
        return (k * 0.5 - 3.25).astype(np.float32)
    if kind == "f64":
        return k * 0.25 - 2.0 + k * 1e-9
    raise ValueError(kind)


DESCR = {"bool": "|b1", "u8": "|u1", "i32": "i4", "i64": "i8", "f32": "f4", "f64": "f8"}

# name, kind, shape, byte order ('<', '>' or '|'), Fortran order, format version
READABLE = [
    ("bool_c_1d", "bool", (5,), "|", False, None),
    ("bool_f_3d", "bool", (2, 3, 2), "|", True, None),
    ("u8_c_1d", "u8", (40,), "|", False, None),
    ("u8_f_2d", "u8", (3, 5), "|", True, None),
    ("i32_le_c_1d", "i32", (6,), "<", False, None),
    ("i32_be_c_2d", "i32", (2, 3), ">", False, None),
    ("i32_be_f_3d", "i32", (2, 3, 4), ">", True, None),
    ("i64_le_f_2d", "i64", (3, 4), "<", True, None),
    ("i64_be_c_3d", "i64", (2, 3, 4), ">", False, None),
    ("f32_le_f_3d", "f32", (2, 3, 4), "<", True, None),
    ("f32_be_c_1d", "f32", (5,), ">", False, None),
    ("f64_le_c_2d", "f64", (3, 2), "<", False, None),
    ("f64_be_f_3d", "f64", (2, 2, 3), ">", True, None),
    ("f64_le_c_empty", "f64", (0,), "<", False, None),
    ("i32_le_c_empty_2d", "i32", (2, 0), "<", False, None),
    ("f64_le_c_2d_v2", "f64", (2, 3), "<", False, (2, 0)),
    ("i64_le_f_2d_v3", "i64", (3, 2), "<", True, (3, 0)),
]


def write(name, a, version=None):
    with open(os.path.join(OUT, name + ".npy"), "wb") as f:
        npf.write_array(f, a, version=version, allow_pickle=True)


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, kind, shape, order, fortran, version in READABLE:
        n = int(np.prod(shape))
        a = value(kind, n).reshape(shape)
        code = DESCR[kind]
        if not code.startswith("|"):
            a = a.astype(np.dtype(order + code))
        if fortran:
            a = np.asfortranarray(a)
        assert a.flags.f_contiguous == fortran or a.ndim < 2 or n == 0
        write(name, a, version)
        back = np.load(os.path.join(OUT, name + ".npy"))
        assert back.dtype == a.dtype and np.array_equal(back, a), name
    write("bad_c16", np.arange(3) * (1 + 2j))
    write("bad_i2", np.arange(4, dtype=np.int16))
    write("bad_u4", np.arange(4, dtype=np.uint32))
    write("bad_unicode", np.array(["ab", "c"]))
    write("bad_object", np.array([1, "x", None], dtype=object))
    write("bad_structured", np.zeros(2, dtype=[("a", "<i4"), ("b", "<f8")]))
    write("bad_rank0", np.array(2.5))
    write("bad_rank4", np.zeros((1, 2, 1, 2)))


if __name__ == "__main__":
    main()
