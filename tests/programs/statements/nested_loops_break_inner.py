from nkfmt import nkprint
count = 0
for i in range(5):
    for j in range(5):
        if j > i: break
        if (i + j) % 2 == 1: continue
        count += 1
nkprint(count)
