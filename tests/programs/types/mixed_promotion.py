from nkfmt import nkprint
i = 3; f = 0.5
nkprint(i + f, f + i, i * f, i - f, i / 4, 2 ** f)
nkprint(i + 1.0, 10 // 4.0, 10 % 4.0, 1 == 1.0, 2 < 2.5)
