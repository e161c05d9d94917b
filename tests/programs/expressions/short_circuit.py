from nkfmt import nkprint
nkprint(False)
nkprint(True)
nkprint("evaluated", "c"); nkprint(True)
nkprint("evaluated", "d"); nkprint(True)
nkprint(False, True)
