import sys
import numpy as np
from nkfmt import nkprint

sys.setrecursionlimit(1_000_000)


def wrap(v):
    return (v + (1 << 63)) % (1 << 64) - (1 << 63)


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def total(n):
    s = 0
    while n != 0:
        s += n
        n -= 1
    return wrap(s)


def fact(n):
    p = 1
    while n >= 2:
        p = wrap(p * n)
        n -= 1
    return p


def gcd(a, b):
    while b != 0:
        a, b = b, a % b
    return a


def halve(x, k):
    while k != 0:
        x, k = x / 2.0, k - 1
    return x


def find(a, v, lo, hi):
    while True:
        if lo >= hi:
            return -1
        mid = (lo + hi) // 2
        if a[mid] == v:
            return mid
        if a[mid] < v:
            lo = mid + 1
        else:
            hi = mid


def show(n):
    nkprint("at", n)
    return n


def trace(n):
    if n == 0:
        return 100
    return show(n) + trace(n - 1)


def mixed(n):
    if n <= 0:
        return 7
    if n % 3 == 0:
        return 2 * mixed(n - 1)
    if n % 3 == 1:
        return mixed(n - 2)
    for i in range(n):
        if i == 4:
            return i + 1000
    return n + mixed(n - 1)


def left(n):
    if n == 0:
        return 1
    return left(n - 1) + n


def count32(n, acc):
    while n != 0:
        n, acc = n - 1, acc + 3
    return np.int32(acc)


nkprint(fib(20), fib(1), fib(0))
nkprint(total(1000000))
nkprint(fact(5), fact(25), fact(0))
nkprint(gcd(1071, 462), gcd(0, 9), gcd(-48, 18))
nkprint(halve(1.0, 10), halve(-3.0, 1100))
a = np.arange(0, 3000, 3)
nkprint(find(a, 2997, 0, len(a)), find(a, 300, 0, len(a)), find(a, 301, 0, len(a)))
nkprint(trace(3))
nkprint(mixed(10), mixed(11), mixed(3), mixed(-1))
nkprint(left(100))
nkprint(count32(100000, 0))
