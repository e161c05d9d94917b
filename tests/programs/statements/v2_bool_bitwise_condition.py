from nkfmt import nkprint


def count(a, b):
    n = 0
    if a | b:
        n += 1
    if a & b:
        n += 10
    if a ^ b:
        n += 100
    if not (a ^ b):
        n += 1000
    return n


a = True
b = False
if a | b:
    nkprint("or")
if a & b:
    nkprint("and")
else:
    nkprint("not and")
n = 0
while (n < 3) & a:
    n += 1
m = 0
while (m < 5) ^ b:
    m += 2
nkprint(n, m, count(True, True), count(True, False), count(False, True), count(False, False))
