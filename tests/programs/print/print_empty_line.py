from nkfmt import nkprint
nkprint("a"); nkprint(); nkprint("b")
