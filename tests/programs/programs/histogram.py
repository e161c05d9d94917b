from nkfmt import nkprint
import numpy as np
data = (np.arange(100) * 13 % 50).astype(float) / 5.0
h, _ = np.histogram(data, bins=5, range=(0.0, 10.0))
nkprint(h.astype(np.int64), int(h.sum()))
def hist(data, lo, hi, nb):
    c = [0] * nb; w = (hi - lo) / nb
    for x in data:
        b = int((x - lo) / w)
        if 0 <= b < nb: c[b] += 1
        elif x == hi: c[nb - 1] += 1
    return np.array(c)
nkprint(hist(np.linspace(0.0, 1.0, 11), 0.0, 1.0, 4))
