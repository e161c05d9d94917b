from nkfmt import nkprint
nkprint(100000, (100000,), True, True)
nkprint(0.5)
nkprint(0.08)
nkprint(0.3)
