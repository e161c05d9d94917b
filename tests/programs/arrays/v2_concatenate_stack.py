from nkfmt import nkprint
import numpy as np
a = np.arange(3)
b = np.arange(2) * 1.5
nkprint(np.concatenate((a, b)), np.stack((np.zeros(2), np.ones(2)), axis=1), np.stack((a, a)))
m = np.arange(6).reshape(2, 3)
nkprint(np.concatenate((m, m), axis=1), np.concatenate((m, m * 10)), np.stack((m, m), -1).shape, np.concatenate((a,)))
