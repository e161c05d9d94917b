from nkfmt import nkprint
nkprint(int(2.9), int(-2.9), int(0.5), int(-0.5), int(7))
nkprint(float(3), float(-2), float(2.5))
nkprint(int(1e18), int(-123456.999))
