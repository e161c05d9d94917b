from nkfmt import nkprint
import numpy as np
a = list((np.arange(15) * 11) % 15 - 7)
inv = sum(1 for i in range(15) for j in range(i + 1, 15) if a[i] > a[j])
nkprint(np.sort(np.array(a)), inv)
