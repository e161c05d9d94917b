from nkfmt import nkprint
import numpy as np
nkprint((1, 2.0), (3,), ((1, 2), 3.5), (True, False))
nkprint((np.arange(2), np.linspace(0.0, 1.0, 2)), (np.zeros(0),))
nkprint((-0.0, 1e+16, float("nan")))
