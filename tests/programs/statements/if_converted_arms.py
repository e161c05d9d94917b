from nkfmt import nkprint


def collatz_len(n):
    steps = 0
    while n != 1:
        if n % 2 == 0:
            n = n // 2
        else:
            n = 3 * n + 1
        steps += 1
    return steps


def shapes(x, y):
    a = 0
    b = 7
    if x > y:
        a = x - y
    if x % 3 == 1:
        a = a * 2
        b = x // 4
    else:
        b = y % 5
        a = a + b
    if x < 0:
        b = b + x // -4
    lt = x < y
    if lt:
        b = min(b, x)
    else:
        b = max(b, y)
    c = b
    if a == c:
        c = a + 1
    else:
        c = c ^ a
    return a * 1000 + b * 10 + c


best = 0
best_n = 0
for k in range(1, 3000):
    l = collatz_len(k)
    if l > best:
        best = l
        best_n = k
nkprint(best_n, best)
s = 0
for x in range(-20, 20):
    for y in range(-7, 9):
        s += shapes(x, y) * (x + 31) % 1000003
nkprint(s, shapes(5, 2), shapes(-8, 3), shapes(4, 4))
