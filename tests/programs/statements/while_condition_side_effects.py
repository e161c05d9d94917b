from nkfmt import nkprint
c = [0]
def bump(c):
    c[0] += 1
    return c[0]
seen = 0
while bump(c) < 10:
    if c[0] % 3 == 0:
        continue
    seen += 1
    if seen == 5:
        break
nkprint(c[0], seen)
k = 0
while k != 7:
    k += 1
f = 0.0
while f < 2.5:
    f += 0.5
nkprint(k, f)
