from nkfmt import nkprint
import numpy as np
nkprint(3, 7, -1.5, 2.5, 4)
a = np.arange(5) * 2 - 3
nkprint(a.min(), a.max(), min(a.min(), -10), max(a[0], a[1]))
f = np.linspace(-1.0, 1.0, 5)
nkprint(f.min(), f.max(), (f * 2.0).min())
