from nkfmt import nkprint
nkprint(0, 42, 1_000_000, 10)
nkprint(9223372036854775807)
nkprint(-9223372036854775807 - 1)
