from nkfmt import nkprint


def w(x):
    return (x + 2**63) % 2**64 - 2**63


def climb(n):
    i = 9223372031854775807
    s = 0
    for k in range(n):
        i = w(i + 1000000000)
        s = w(s + w(w(w(i // 7 + i % 7) + i // 10) - i % 3))
    return s


def from_counter(n):
    s = 0
    for k in range(n):
        j = w(k + 1000000000)
        wv = w(j + 9223372035854775000)
        s = w(s + w(w(w(j // 7 + j % 7) + wv // 9) + wv % 9))
    return s


nkprint(climb(10))
nkprint(from_counter(3))
