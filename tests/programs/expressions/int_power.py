from nkfmt import nkprint
nkprint(2 ** 10, 3 ** 0, 0 ** 0, (-3) ** 3, 10 ** 18, 1 ** 1000)
nkprint(2 ** 0.5, 4 ** -0.5, 2.0 ** 3, (-8.0) ** 2, 2.0 ** -2)
nkprint(2 ** 5, 5 ** 2)
