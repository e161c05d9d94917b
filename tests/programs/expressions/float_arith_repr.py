from nkfmt import nkprint
nkprint(0.1 + 0.2, 1.1 * 3, 1.0 - 0.9, 2.0 / 3.0)
nkprint(1e16 + 1.0, 1e308 * 10.0, -1e308 * 10.0, 5e-324 / 2.0)
nkprint(100.0 * 1.1, 3.0 * 0.1, 123456789.0 * 10.0)
