from nkfmt import nkprint
t = True; f = False
nkprint(t and f, t or f, not t, not not t, t and not f, f or f or t)
nkprint(t == f, t != f, (1 < 2) and (2 < 1) or (3 == 3))
x = 5
nkprint(x > 0 and x < 10, x < 0 or x > 3, not (x == 5))
