from nkfmt import nkprint
import numpy as np
nkprint(np.linspace(1.0, 3.0, 3), np.arange(3), np.arange(3) > 0)
nkprint(np.zeros(0), np.arange(0), np.zeros(0) > 0.0)
nkprint(np.arange(4).reshape(2, 2))
nkprint(np.arange(0.0, 8.0).reshape(2, 2, 2))
nkprint(np.zeros((0, 3)), (0, 3))
nkprint(np.full(3, 0.1) * 3.0, np.full(2, -0.0), np.full(2, 1e-05))
