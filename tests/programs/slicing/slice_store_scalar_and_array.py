from nkfmt import nkprint
import numpy as np
a = np.zeros(8); a[0:3] = 1.5; a[3:6] = np.arange(3.0, 6.0); a[6:] = np.linspace(-1.0, -2.0, 2)
nkprint(a); a[:] = 0.0; nkprint(a)
i = np.arange(6); i[1:3] = 0; i[4:] = np.arange(2) * 100; nkprint(i)
