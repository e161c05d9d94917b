from nkfmt import nkprint
def sign(x): return 1 if x > 0 else (-1 if x < 0 else 0)
def classify(x): return 0 if x < 1.0 else (1 if x < 10.0 else 2)
nkprint(sign(5), sign(-3), sign(0), sign(-0.5))
nkprint(classify(0.5), classify(5.0), classify(50.0))
