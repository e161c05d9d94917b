import math
from nkfmt import nkprint

def mn(a, b):
    return a if math.isnan(a) else b if math.isnan(b) else (a if a <= b else b)

def mx(a, b):
    return a if math.isnan(a) else b if math.isnan(b) else (a if a >= b else b)

xs = [1.0, -0.0, 0.0, float("nan"), -3.5, float("inf"), float("-inf"), 2.0]
for a in xs:
    for b in xs:
        nkprint(mn(a, b), mx(a, b), mn(a, b), mx(a, b))
