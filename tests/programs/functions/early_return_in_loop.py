import numpy as np
from nkfmt import nkprint
def find(a, x):
    for i in range(len(a)):
        if a[i] == x: return i
    return -1
def first_neg(a):
    for i in range(len(a)):
        if a[i] < 0.0: return i
    return -1
a = np.arange(10) * 3
nkprint(find(a, 12), find(a, 13))
nkprint(first_neg(np.linspace(2.0, -2.0, 5)), first_neg(np.ones(3)))
