import sys

import numpy as np
from nkfmt import nkprint


def pairwise(x):
    m, k = x.shape
    d = np.zeros((m, m))
    for i in range(m):
        for j in range(m):
            s = 0.0
            for c in range(k):
                t = x[i, c] - x[j, c]
                s += t * t
            d[i, j] = np.sqrt(s)
    return d


def cols(x, lo, hi):
    s = 0.0
    for j in range(x.shape[0]):
        for c in range(lo, hi):
            s += x[j, c] * float(c + 1)
        s = s * 0.5
    return s


def smooth(x):
    y = np.zeros(x.shape)
    for j in range(x.shape[0]):
        for c in range(1, x.shape[1] - 1):
            y[j, c] = x[j, c - 1] + 2.0 * x[j, c] + x[j, c + 1]
    return y


def previous_rows(x):
    s = 0.0
    for j in range(x.shape[0]):
        for c in range(x.shape[1]):
            s += x[j - 1, c] * float(j)
    return s


def row_sums(m, out):
    for j in range(len(out)):
        acc = 0
        for c in range(m.shape[1]):
            acc += int(m[j, c]) * (c + 1)
        out[j] = acc


def upper(d):
    s = 0.0
    for i in range(d.shape[0]):
        for j in range(i + 1, d.shape[1]):
            s += d[i, j] * float(j - i)
    return s


def lower(d, y):
    for i in range(d.shape[0]):
        for j in range(0, i + 1):
            y[i, j] = d[i, j] + d[j, i]


def band(d):
    s = 0.0
    for i in range(d.shape[0]):
        for j in range(i - 2, i + 1):
            s += d[i, j] * 0.5
    return s


def total(d):
    t = 0.0
    for i in range(d.shape[0]):
        for j in range(d.shape[1]):
            t += d[i, j]
    return t


def main(n):
    s = 12345
    pts = np.zeros((n, 9))
    for i in range(n):
        for c in range(9):
            s = (1103515245 * s + 12345) % 2147483648
            pts[i, c] = s / 2147483648.0
    for k in [0, 1, 3, 4, 5, 9]:
        d = pairwise(pts[:, :k])
        nkprint("pairwise", k, total(d), d[0, n - 1], d[n - 1, 1])
    nkprint("strided", total(pairwise(pts[::2, ::3])), total(pairwise(pts[::-1, 1:8:2])))
    nkprint("transposed", total(pairwise(pts[:7].T)))
    for lo in [-2, 0, 3]:
        for hi in [0, 4, 9]:
            nkprint("cols", lo, hi, cols(pts, lo, hi), cols(pts.T, lo, hi))
    nkprint("smooth", total(smooth(pts)), total(smooth(pts[:, :2])), smooth(pts[:2, :4]))
    nkprint("previous rows", previous_rows(pts), previous_rows(pts[3:6]))
    d = pairwise(pts)
    nkprint("upper", upper(d), upper(d[2:, 1:]), upper(d[::-1, ::2]))
    y = np.zeros((n, n))
    lower(d, y)
    nkprint("lower", total(y), y[n - 1])
    nkprint("band", band(d), band(d.T), band(d[3:7, 2:6]))
    m = np.zeros((n, 5), dtype=np.int32)
    for i in range(n):
        for c in range(5):
            m[i, c] = i * 1000 - c * 77
    out = np.zeros(n, dtype=np.int64)
    row_sums(m, out)
    nkprint("row sums", out)
    few = np.zeros(3, dtype=np.int64)
    row_sums(m[::-2], few)
    nkprint("row sums", few)
    wide = np.zeros((3, 1100))
    for j in range(3):
        for c in range(1100):
            wide[j, c] = float((j + 1) * c % 7)
    nkprint("wide", cols(wide, 0, 1024), cols(wide, 0, 1025), cols(wide, 1, 1025), cols(wide, -3, 1100))
    nkprint("wide", total(smooth(wide)), total(smooth(wide[:, :1026])), total(smooth(wide[:, ::-1])))


main(int(sys.argv[1]))
