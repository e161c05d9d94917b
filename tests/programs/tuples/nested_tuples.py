from nkfmt import nkprint
p = ((1, 2.5), (True, (4, 5)))
a, b = p; c = b[1]
nkprint(a[0] + c[0] + c[1], a[1], b[0])
x, y = p
nkprint(x, y)
def swap(t): return (t[1], t[0])
nkprint(swap((1, 2.0)), swap(swap((True, 3))))
