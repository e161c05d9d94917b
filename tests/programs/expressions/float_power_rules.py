import math
from nkfmt import nkpow, nkprint

inf = math.inf
xs = [0.0, -0.0, 1.5, -1.5, 0.1, 3.0, 1e-100, 1e100, 0.7, -2.0, inf, -inf, math.nan]
ks = [0, 1, 2, 3, 6, 7, 32, 33, 0.5, 2.5]


def p(x, k):
    try:
        r = nkpow(x, k)
    except OverflowError:
        return inf
    return math.nan if isinstance(r, complex) else r


for x in xs:
    nkprint(x, *[p(x, k) for k in ks])
nkprint(len(xs) * len(ks))
a = [0.1, -0.0, 1.5, -inf]
nkprint([p(x, 3) for x in a], [p(x, 0.5) for x in a], [p(x, 3) for x in a], p(0.1, 3), p(0.1, 3))
