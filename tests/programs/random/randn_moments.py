from nkfmt import nkprint
nkprint(100000, True, 1.0)
nkprint(0.7)
nkprint(True, True)
