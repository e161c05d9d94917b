from nkfmt import nkprint
import numpy as np


def doubles(xs):
    out = np.zeros(len(xs) * 2)
    for k in range(len(xs)):
        out[2 * k] = 2.0 * xs[k]
        out[2 * k + 1] = xs[k] * 2.0 - 1.0
    return out


def doubles32(xs):
    out = np.zeros(len(xs), np.float32)
    for k in range(len(xs)):
        out[k] = np.float32(2.0) * xs[k]
    return out


def orbit(cr, ci, n):
    zr, zi = 0.0, 0.0
    for k in range(n):
        t = zr * zr - zi * zi + cr
        zi = 2.0 * zr * zi + ci
        zr = t
    return (zr, zi)


with np.errstate(over="ignore", invalid="ignore"):
    xs = np.array([0.0, -0.0, 1.5, -3.25, 1e308, -1.7976931348623157e308, 5e-324, 0.1])
    nkprint(doubles(xs))
    inf = 1e308 * 10.0
    nkprint(doubles(np.array([inf, -inf, inf - inf])))
    nkprint(doubles32(np.array([0.0, -0.0, 1.5, 3.0e38, -1.0e-45, 0.1], np.float32)))
    nkprint(orbit(-0.75, 0.1, 50), orbit(0.3, 0.5, 20))
