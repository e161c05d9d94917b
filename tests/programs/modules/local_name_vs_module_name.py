from nkfmt import nkprint
nkprint(99, 1, 101, 5)
