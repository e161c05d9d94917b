from nkfmt import nkprint
import numpy as np
a = np.arange(5); a[0] += 10; a[-1] *= 3; a[2] -= 7
nkprint(a)
f = np.zeros(3); f[1] += 2; f[1] /= 4; f[-1] -= 1.5
nkprint(f)
m = np.ones((2, 3)); m[1, 2] += 4.0; m[0, -1] *= -2.0; m[-1, 0] /= 8.0
nkprint(m)
