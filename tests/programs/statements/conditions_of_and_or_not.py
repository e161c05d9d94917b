import math

from nkfmt import nkprint


def say(label, v):
    nkprint("eval", label, v)
    return v


def combos(a, b, c):
    code = 0
    if a and b:
        code += 1
    if a or b:
        code += 2
    if a and (b or not c):
        code += 4
    if (a or b) and not (b and c):
        code += 8
    if not (a or b or c):
        code += 16
    if not a and not b or c:
        code += 32
    else:
        code += 64
    if a and b and c or not a and not b and not c:
        code += 128
    return code


def floats(x, y):
    code = 0
    if x < y and y < 10.0:
        code += 1
    if x < y or x >= y:
        code += 2
    if not (x < y) and not (x >= y):
        code += 4
    if not (x == y or x != y):
        code += 8
    if x == x and not (y != y):
        code += 16
    return code


def first_negative(a):
    i = 0
    while i < len(a) and a[i] >= 0.0:
        i += 1
    return i


def count_until(n, stop):
    i = 0
    steps = 0
    while not (i >= n or i == stop):
        i += 1
        steps += 1
    return steps


for a in range(2):
    for b in range(2):
        for c in range(2):
            nkprint(a, b, c, combos(a == 1, b == 1, c == 1))
nan = math.nan
values = [nan, -1.0, 0.0, 3.0, 20.0]
for i in range(len(values)):
    for j in range(len(values)):
        nkprint(i, j, floats(values[i], values[j]))
if say(1, False) and say(2, True):
    nkprint("no")
if say(3, True) or say(4, False):
    nkprint("yes")
if say(5, True) and say(6, False) or say(7, True):
    nkprint("yes")
if not (say(8, False) or say(9, False)) and say(10, True):
    nkprint("yes")
k = 0
while say(11, k < 2) and say(12, True):
    k += 1
nkprint(first_negative([1.0, 2.0, -3.0, 4.0]), first_negative([1.0, 2.0]), first_negative([]))
nkprint(count_until(10, 4), count_until(3, 7), count_until(0, 0))
