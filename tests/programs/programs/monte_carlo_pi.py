from nkfmt import nkprint
nkprint(True); nkprint(True)
