from nkfmt import nkprint
import numpy as np
a = np.arange(10) * 7 % 10
nkprint(a, a.min(), a.max(), int(a.argmin()), int(a.argmax()))
f = np.linspace(1.0, -1.0, 5); nkprint(f.min(), f.max(), int(f.argmin()), int(f.argmax()))
m = (np.arange(12) * 5 % 12).reshape(3, 4)
nkprint(m, int(m.argmax()), int(m.argmin()), m.max(), m.min())
nkprint(0, 0)
