from nkfmt import nkprint
total = 1 + 2 * 3
nkprint(total)
y = total * 2
nkprint(y)
nkprint(y + 1)
nkprint("big" if total > 5 else "small")
