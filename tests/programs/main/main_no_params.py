from nkfmt import nkprint
nkprint("top level runs first"); nkprint("still top level"); nkprint("then main"); nkprint("helper")
