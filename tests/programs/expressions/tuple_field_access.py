from nkfmt import nkprint
import numpy as np
nkprint(1, 2.5, True, np.arange(2))
nkprint((1, 2), 3.5, (4, 5))
nkprint(2)
