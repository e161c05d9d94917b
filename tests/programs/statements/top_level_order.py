from nkfmt import nkprint
nkprint("first"); nkprint("called f"); nkprint("x is", 1); nkprint("x is", 2)
