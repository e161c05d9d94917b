from nkfmt import nkprint
import math
import numpy as np
nkprint(math.pow(2.0, 3.0), math.pow(2, 3), math.pow(2.0, -1), math.pow(9, 0.5), float("nan"))
a = [1.0, 2.0, 3.0]
nkprint(np.array([math.pow(x, 2.0) for x in a]), np.array([math.pow(2.0, x) for x in a]), np.array([math.pow(x, x) for x in a]))
