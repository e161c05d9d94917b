from nkfmt import nkprint
import numpy as np
def sieve(n):
    s = np.ones(n + 1, dtype=bool); s[:2] = False
    for i in range(2, int(n ** 0.5) + 1):
        if s[i]: s[i * i::i] = False
    return s
s = sieve(100)
nkprint(int(s.sum()), int(sieve(10000).sum()))
nkprint(np.nonzero(s)[0].astype(np.int64))
