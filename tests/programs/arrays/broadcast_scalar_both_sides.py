from nkfmt import nkprint
import numpy as np
a = np.arange(1.0, 5.0)
nkprint(a + 1, 1 + a); nkprint(a - 1.5, 1.5 - a); nkprint(a * 2, 2 * a); nkprint(a / 2, 2 / a)
nkprint(a // 2, 7 // a); nkprint(a % 3, 7 % a); nkprint(a ** 2, 2 ** a)
i = np.arange(1, 5)
nkprint(i + 1, 10 - i, i * 3, i / 2, 7 // i, 7 % i, i ** 2, i + 0.5)
