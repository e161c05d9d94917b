from nkfmt import nkprint
import math
import numpy as np
nkprint(5.0, 13.0, math.sqrt(2.0))
nkprint(np.array([math.sqrt(x * x + 1.0) for x in np.arange(0.0, 5.0)]))
