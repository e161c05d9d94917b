from nkfmt import nkprint
nkprint("inner", 10.5)
nkprint(False)
nkprint("outer", 1)
for i in range(2): nkprint("loop", i)
nkprint("after", 100)
x = 1
while x < 3:
    y = x * 10; x += 1; nkprint(y)
