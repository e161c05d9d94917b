from nkfmt import nkprint
nkprint(1)
nkprint((2 + 3) * 4.0)
