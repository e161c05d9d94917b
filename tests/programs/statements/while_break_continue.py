from nkfmt import nkprint
i = 0; s = 0
while i < 100:
    i += 1
    if i % 2 == 0: continue
    if i > 15: break
    s += i
nkprint(i, s)
