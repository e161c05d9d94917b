from nkfmt import nkprint
nkprint(1.0, 0.1, 2.17, -0.0, 1e-05, 1e16, 1.5e300)
nkprint(1e15, 123456789012345678.0, 0.0001, 0.00001, 1e-7, 5e-324)
nkprint(1.0 / 3.0, 2.0 / 3.0, 100.0, 1e22, 1e21, 12345.678)
nkprint(float("inf"), float("-inf"), float("nan"), float("nan"))
nkprint(1.7976931348623157e308, 2.2250738585072014e-308, 9007199254740993.0)
