from nkfmt import nkprint
import numpy as np
nkprint((1, 2.0)); nkprint((3,)); nkprint((True, -1, 0.5))
nkprint((1, (2, 3)), ((1.5,), (2, (3,))))
nkprint((np.arange(2), np.zeros((1, 2))))
nkprint((4,), (2, 5))
