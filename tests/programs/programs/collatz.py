from nkfmt import nkprint
def cl(n):
    s = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        s += 1
    return s
best = 0; bn = 0
for n in range(1, 10000):
    l = cl(n)
    if l > best: best = l; bn = n
nkprint(bn, best, cl(27), cl(1))
