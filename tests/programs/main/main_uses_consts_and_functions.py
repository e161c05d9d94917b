from nkfmt import nkprint
import sys
import numpy as np
a = np.arange(int(sys.argv[1]))
for r in range(3): a = a * a
nkprint(a)
