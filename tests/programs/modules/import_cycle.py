from nkfmt import nkprint
def a(n): return b(n - 1) + 1 if n > 0 else 0
def b(n): return a(n - 1) * 2 if n > 0 else 1
nkprint(a(0), a(1), a(4), a(5))
