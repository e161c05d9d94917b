from nkfmt import nkprint


def branches(a, b):
    code = 0
    if a == b:
        code += 1
    if a != b:
        code += 2
    if a < b:
        code += 4
    if a <= b:
        code += 8
    if a > b:
        code += 16
    if a >= b:
        code += 32
    eq = a == b
    if not eq:
        code += 64
    ne = a != b
    if ne:
        code += 128
    else:
        code += 256
    if not (a < b):
        code += 512
    if not (a >= b):
        code += 1024
    return code


def int_branches(a, b):
    code = 0
    lt = a < b
    if not lt:
        code += 1
    if a == b:
        code += 2
    if not (a != b):
        code += 4
    if a >= b:
        code += 8
    return code


def count_while_equal(x, limit):
    n = 0
    y = x
    while y == x and n < limit:
        n += 1
        if n == 3:
            y = y + 1.0
    return n


nan = float("nan")
inf = float("inf")
xs = [1.0, 2.0, -0.0, 0.0, nan, inf, -inf]
total = 0
for i in range(len(xs)):
    for j in range(len(xs)):
        c = branches(xs[i], xs[j])
        total = total * 3 % 1000003 + c
        if i == j:
            nkprint(i, c)
nkprint(total)
for a, b in [(1, 2), (2, 2), (3, 2), (-1, -1)]:
    nkprint(int_branches(a, b))
nkprint(count_while_equal(1.5, 10), count_while_equal(nan, 10))
