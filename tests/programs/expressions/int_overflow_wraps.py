from nkfmt import nkprint, wrap64
big = 9223372036854775807
nkprint(wrap64(big + 1)); nkprint(wrap64(-big - 2)); nkprint(wrap64(big * 2))
nkprint(wrap64(3037000500 * 3037000500))
h = 1
for i in range(70): h = wrap64(h * 3 + 1)
nkprint(h)
