from nkfmt import nkprint
nkprint(7 / 2, 6 / 3, 1 / 3, -1 / 4, 0 / 5)
nkprint(float("inf"), float("-inf"), float("nan"))
nkprint(float("inf"), 5.0 / 2)
