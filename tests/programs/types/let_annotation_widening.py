from nkfmt import nkprint
x = 0.0; y = 3.0; n = 4; ok = 1 < 2
nkprint(x, y, n, ok)
x = 5.0
nkprint(x, y / n)
