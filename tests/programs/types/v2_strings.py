from nkfmt import nkprint
nkprint("data.npy", True, True, False)
nkprint(2.5, "m/s")
nkprint(1.0, "kg")
