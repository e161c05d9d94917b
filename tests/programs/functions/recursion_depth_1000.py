from nkfmt import nkprint
nkprint(1000)
