from nkfmt import nkprint
nkprint(17 // 5, 17 % 5)
nkprint(-17 // 5, -17 % 5)
nkprint(17 // -5, 17 % -5)
nkprint(-17 // -5, -17 % -5)
nkprint(0 // 3, 0 % -3, 5 // 5, -1 // 10, -1 % 10)
q, r = divmod(-7, 2)
nkprint(q, r, divmod(7, -2))
