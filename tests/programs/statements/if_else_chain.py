from nkfmt import nkprint
for x in range(-2, 3):
    if x < -1: nkprint(x, "very negative")
    elif x < 0: nkprint(x, "negative")
    elif x == 0: nkprint(x, "zero")
    else: nkprint(x, "positive")
nkprint("yes")
