from nkfmt import nkprint
nkprint("ok")
