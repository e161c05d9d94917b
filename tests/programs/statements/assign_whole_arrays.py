from nkfmt import nkprint
import numpy as np
nkprint(np.ones(5)); nkprint(np.arange(0.0, 4.0).reshape(2, 2)); nkprint((2, np.ones(2)))
