from nkfmt import nkprint
nkprint("tab:\there")
nkprint("back\\slash")
nkprint("say \"hi\"")
nkprint("two\nlines")
nkprint("")
nkprint("a", "", "b")
