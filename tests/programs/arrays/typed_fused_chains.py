from nkfmt import nkprint
import numpy as np


def f32_chains(n):
    x = np.arange(n).astype(np.float32) * 0.001
    y = np.ones(n, np.float32)
    for r in range(3):
        y = x * 2.5 + y
    z = x / 3.0 - y * 0.1
    w = x * 3.0
    v = 1.5 - x
    k = x * np.uint8(7) + 1
    m = x + np.float32(0.1) * 3
    nkprint(y, z, w, v, k, m)


def f64_chains(n):
    a = np.arange(n) * 0.5
    b = np.linspace(-1.0, 1.0, n)
    c = a * b - a / 7.0
    c = c * 2.0 + a
    nkprint(c, a - b, (a + 1.0) / (b + 2.0))


def int_chains(n):
    a = np.arange(n).astype(np.int32) * 1000003
    b = a * a + 2147483647
    c = a - b * 3
    u = np.arange(n).astype(np.uint8) * 37 + 200
    u2 = u * u - u
    u3 = u + u - 7
    l = np.arange(n) * 9223372036854775807 + 5
    l2 = l - l * 3 + np.int32(4)
    nkprint(b, c, u, u2, u3, l, l2)


def shared(n):
    y = np.ones(n, np.float32)
    alias = y
    y = y * 2.0 + y
    nkprint(y, alias)
    v = np.arange(n * 2).astype(np.int32)
    half = v[0:n]
    v = v + v * 2
    nkprint(v, half)
    d = np.zeros(n)
    keep = d
    d = keep * 2.0 + 1.0
    nkprint(d, keep)


def mixed(n):
    x = np.arange(n).astype(np.float32)
    i = np.arange(n).astype(np.int32)
    nkprint(x * 2.0 + i, i * 2 + x, i / 2 + 1)
    m = np.arange(12).astype(np.float32).reshape((3, 4))
    nkprint(m[:, 1] * 2.0 + m[:, 0], m * m - m / 2.0)
    t = np.arange(24).astype(np.uint8).reshape((2, 3, 4))
    nkprint(t * 11 + t)


with np.errstate(over="ignore"):
    f32_chains(0)
    f32_chains(1)
    f32_chains(5)
    f32_chains(17)
    f64_chains(0)
    f64_chains(3)
    f64_chains(9)
    int_chains(0)
    int_chains(1)
    int_chains(7)
    int_chains(35)
    shared(0)
    shared(5)
    mixed(0)
    mixed(6)
