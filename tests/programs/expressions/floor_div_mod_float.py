from nkfmt import nkprint
nkprint(1.0 // 0.1, 1.0 % 0.1)
nkprint(-7.5 % 2.0, -7.5 // 2.0, 7.5 % -2.0, 7.5 // -2.0)
nkprint(5.5 // 2, 5 % 1.5, -0.5 // 1.0)
nkprint(divmod(7.5, 2.0), divmod(-7.5, 2))
