from nkfmt import nkprint
nkprint(sum(range(5)) * 2.5, 5, 2.5, False)
nkprint(5)
