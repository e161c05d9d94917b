from nkfmt import nkprint
nkprint(0, -1, 42, 9223372036854775807, -9223372036854775807)
nkprint(True, False, True)
