from nkfmt import nkprint
nkprint("label", 1, 42)
nkprint("label", 2, [2.5, 2.5, 2.5])
