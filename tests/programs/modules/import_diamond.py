from nkfmt import nkprint
nkprint(101, 102, 100, 100)
nkprint(1, 2)
