from nkfmt import nkprint
x = 1
nkprint(x)
nkprint("not # a comment")
