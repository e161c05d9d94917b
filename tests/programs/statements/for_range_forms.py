from nkfmt import nkprint
for i in range(0, 3): nkprint("a", i)
for i in range(0, 10, 3): nkprint("b", i)
for i in range(10, 0, -3): nkprint("c", i)
for i in range(-3, 3, 2): nkprint("d", i)
for i in range(1, 5): nkprint("e", i * i)
