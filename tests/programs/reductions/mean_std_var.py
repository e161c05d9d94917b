from nkfmt import nkprint
import numpy as np
a = np.array([2.0, 4, 4, 4, 5, 5, 7, 9])
nkprint(a.mean(), a.std(), a.var())
i = np.arange(1, 5); nkprint(i.mean(), i.var(), np.full(4, 3).std())
m = np.arange(0.0, 4.0).reshape(2, 2); nkprint(m.mean(), m.var())
nkprint(float(np.round(np.arange(10).std() * 1e6)) / 1e6)
