from nkfmt import nkprint
nkprint(21, 6.0, 10, 42)
