from nkfmt import nkprint
nkprint((10.0, 2.5, 30.0, 4))
