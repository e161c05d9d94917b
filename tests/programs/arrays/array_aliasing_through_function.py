from nkfmt import nkprint
nkprint([2.0, 2.0, 2.0], [2.0, 2.0, 2.0])
nkprint([[2.0, 2.0], [2.0, 2.0]])
