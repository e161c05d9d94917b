from nkfmt import nkprint
import numpy as np
nan = float("nan")
a = np.array([2.0, nan, -1.0, 2.0, 0.5, nan, -1.0, 7.0])
nkprint(np.unique(a))
nkprint(np.unique(np.arange(20) * 7 % 5), np.unique(np.arange(4)), np.unique(np.zeros(0)))
nkprint(np.unique((np.arange(12) % 3 - 1).reshape(3, 4)))
nkprint(np.unique(np.arange(10) * 0), np.unique(np.arange(10) > 4))
s = np.arange(0.0, 10.0, 2.0)
q = np.array([-5.0, 0.0, 1.0, 4.0, 8.0, 9.5, nan])
nkprint(np.searchsorted(s, q))
d = np.arange(10) // 3
nkprint(np.searchsorted(d, np.arange(5) - 1), np.searchsorted(d, np.arange(6) * 0.75))
nkprint(np.searchsorted(np.zeros(0), q), np.searchsorted(s, np.zeros(0)).astype(np.int64))
withnan = np.array([1.0, 2.0, nan, nan])
nkprint(np.searchsorted(withnan, q))
nkprint(np.searchsorted(s, (np.arange(6) * 1.5).reshape(2, 3)))
