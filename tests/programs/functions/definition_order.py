from nkfmt import nkprint
nkprint((3 + 1) * 2)
