from nkfmt import nkprint
nkprint(True, True, True, True, 0.5)
