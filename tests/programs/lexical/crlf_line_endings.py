from nkfmt import nkprint
nkprint(3)
