from nkfmt import nkprint
nkprint(0.0 + 0.25 + 0.5 + 0.75 + 1.0)
nkprint(4)
nkprint(False); nkprint(True); nkprint(True)
nkprint(3); nkprint(4); nkprint(5)
