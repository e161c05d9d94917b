from nkfmt import nkprint
nkprint([], 0)
nkprint(True)
