from nkfmt import nkprint
import numpy as np
a = np.ones(3); alias = a
a += np.arange(3); nkprint(alias)
a *= 2.0; nkprint(alias)
a = a + 1.0; nkprint(a, alias)
i = np.arange(4); j = i; i -= 1; i *= i
nkprint(j)
