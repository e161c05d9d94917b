from nkfmt import nkprint
nkprint((-3, 5), -3, 5)
nkprint(-1.0, 1.0)
