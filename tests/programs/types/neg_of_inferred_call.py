import numpy as np
from nkfmt import nkprint
def ident(x): return x
def first(v): return v[0]
def second_of(t): return t[0][1]
nkprint(first(-ident(np.ones(3))))
nkprint(second_of((-ident(np.arange(4)),)))
t = (-ident(np.linspace(0.0, 1.0, 3)),)
nkprint(second_of(t))
nkprint(first(-np.cumsum(np.ones(2))), first(-np.linspace(2.0, 3.0, 2)))
nkprint(-ident(5), -ident(2.5))
