from nkfmt import nkprint
import numpy as np
d = (np.arange(17) * 5 % 17).astype(float) - 8.5
nkprint(np.sort(d)); nkprint(True, d[0])
