from nkfmt import nkprint
nkprint(float("nan"), True, True, True)
