from nkfmt import nkprint
nkprint(-2 ** 2, (-2) ** 2, 2 ** 3 ** 2, -2 ** -1.0)
nkprint(1 + 2 * 3, (1 + 2) * 3, 10 - 4 - 3, 2 * 3 // 4, 7 - 6 % 4)
nkprint(2 * 3 ** 2, -3 * -2, - -5, 100 / 10 / 5)
nkprint(1 + 2 < 4, (1 < 2) == True, not 1 > 2, (not True) or True, True or (False and False))
nkprint((not False) and False, (1 < 2 and 2 < 3) or False)
