from nkfmt import nkprint
nkprint(6.0, 3.0)
nkprint([0.0, 7.0])
