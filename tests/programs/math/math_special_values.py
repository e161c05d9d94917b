import numpy as np
from nkfmt import nkprint
with np.errstate(all="ignore"):
    nkprint(np.sqrt(-1.0), np.log(0.0), np.log(-1.0), np.exp(1000.0), np.exp(-1000.0))
    nkprint(np.sqrt(np.inf), np.arctan(np.inf), np.tanh(1000.0), np.isnan(np.sqrt(-4.0)))
