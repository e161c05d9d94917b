import sys

import numpy as np
from nkfmt import nkprint


def dot_col(a, b, i, j):
    s = 0.0
    for k in range(len(b)):
        s += a[i, k] * b[k, j]
    return s


def sum_from(x, lo, hi):
    s = 0.0
    for i in range(lo, hi):
        s += x[i]
    return s


def weighted(x):
    s = 0.0
    for i in range(1, len(x)):
        s += float(i) * x[i - 1] - x[i] / 3.0
    return s


def running(x):
    y = np.zeros(len(x))
    y[0] = x[0]
    for i in range(1, len(x)):
        y[i] = y[i - 1] * 0.5 + x[i]
    return y


def halves(x, n):
    s = 0.0
    for i in range(n):
        s += x[i // 2] * 1.5
    return s


def gather(x, idx):
    s = 0.0
    for i in range(len(idx)):
        s += x[idx[i]]
    return s


def narrow(u, v, w):
    acc = 0
    t32 = w[0] * np.float32(0.0)
    with np.errstate(over="ignore"):
        for i in range(len(u)):
            u[i] = u[i] * np.uint8(3) + np.uint8(7)
            v[i] = np.int32(v[i] * np.int64(100003) - i)
            acc += int(u[i]) + int(v[i])
            t32 = np.float32(t32 + w[i] * w[i])
    nkprint("narrow", acc, t32)
    return t32


def mark(x, flags):
    for i in range(len(x)):
        flags[i] = x[i] > 0.5
    return int(np.count_nonzero(flags))


def main(n):
    a = np.zeros((n, n))
    b = np.zeros((n, n))
    s = 12345
    for i in range(n):
        for j in range(n):
            s = (1103515245 * s + 12345) % 2147483648
            a[i, j] = s / 2147483648.0 - 0.25
            b[j, i] = float((i * 7 + j) % 11) * 0.1
    total = 0.0
    for i in range(n):
        for j in range(n):
            total += dot_col(a, b, i, j)
    nkprint("products", total)
    at = a.T
    nkprint("transposed", dot_col(at, b, 1, 2), dot_col(a[::2, ::-1], b[::-1][1:], 0, 3))
    x = a[3]
    for lo in range(3):
        for hi in range(lo, lo + 11):
            nkprint("sum", lo, hi, sum_from(x, lo, hi))
    nkprint("weighted", weighted(x), weighted(a[:, 5]), weighted(x[:1]), weighted(x[:5]))
    nkprint("running", running(x[:9]))
    nkprint("halves", halves(x, 7), halves(x, 13), halves(x[1::3], 8))
    idx = np.zeros(9, dtype=np.int64)
    for i in range(9):
        idx[i] = (i * 5) % 13 - 6
    nkprint("gather", gather(x, idx))
    u = np.zeros(10, dtype=np.uint8)
    v = np.zeros(10, dtype=np.int32)
    w = np.zeros(10, dtype=np.float32)
    for i in range(10):
        u[i] = (i * 37) % 256
        v[i] = i * 1000000 - 7
        w[i] = np.float32(i * 0.3)
    narrow(u, v, w)
    nkprint(u, v)
    flags = np.zeros(13, dtype=bool)
    nkprint("marked", mark(x, flags), flags)


main(int(sys.argv[1]))
