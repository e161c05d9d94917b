from nkfmt import nkprint
nkprint(divmod(7, 2), divmod(-7, 2), divmod(7, -2), divmod(0, 5))
nkprint(divmod(7.5, 2.0), divmod(-1.0, 0.25))
d = divmod(100, 7); nkprint(d[0] * 7 + d[1])
