from nkfmt import nkprint
import numpy as np
a = list(np.arange(20) * 3 % 11)
i = 0
while i < len(a) and a[i] != 10: i += 1
nkprint(i, a[i])
j = 0
while j < len(a) and not (a[j] > 8 or (a[j] == 0 and j > 0)): j += 1
nkprint(j)
