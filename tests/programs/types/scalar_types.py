from nkfmt import nkprint
nkprint(7, 7.0, True, False)
nkprint(7 / 2, 7 // 2, 7.0 // 2.0)
