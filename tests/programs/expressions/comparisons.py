from nkfmt import nkprint
nkprint(1 < 2, 2 <= 2, 3 > 4, 4 >= 4, 5 == 5, 5 != 5)
nkprint(1.5 < 2, 2.0 == 2, 0.1 + 0.2 == 0.3, -0.0 == 0.0)
nan = float("nan")
nkprint(nan == nan, nan != nan, nan < 1.0, nan > 1.0)
nkprint(True, True)
