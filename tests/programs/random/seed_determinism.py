from nkfmt import nkprint
nkprint(True, True, True)
nkprint(True)
