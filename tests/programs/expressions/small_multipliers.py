from nkfmt import nkprint, wrap64


def muls(x):
    t = 3
    return wrap64(wrap64(wrap64(wrap64(x * 3 + 5 * x) + x * 9) + t * x) - x * 7)


def chain(n, k):
    h = n
    for i in range(k):
        h = wrap64(3 * h + 1)
        h = wrap64(h * 5 - i)
        h = wrap64(9 * h + i % 3)
    return h


def mixed(a, n):
    s = 0.0
    for i in range(n):
        k = i * 3 % 7
        s += a[i] * float(k) + a[i * 5 % n]
    return s


for x in [0, 1, -1, 7, -123456789, 3074457345618258602, 1844674407370955162, 1024819115206086201, 9223372036854775807, -9223372036854775808]:
    nkprint(muls(x))
nkprint(chain(1, 10), chain(-5, 40), chain(9223372036854775807, 3))
a = [i * 0.25 - 1.0 for i in range(11)]
nkprint(mixed(a, 11), mixed(a, 1))
