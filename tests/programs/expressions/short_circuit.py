from nkfmt import nkprint
nkprint(False)
nkprint(True)
nkprint("evaluated", 3); nkprint(True)
nkprint("evaluated", 4); nkprint(True)
nkprint(False, True)
