from nkfmt import nkprint
nkprint(2.5)
