from nkfmt import nkprint
nkprint("value", 42)
nkprint("filled", [2.5, 2.5, 2.5])
