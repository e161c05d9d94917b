from nkfmt import nkprint
import numpy as np
f = lambda x: float(np.floor(x)); c = lambda x: float(np.ceil(x)); r = lambda x: float(np.round(x))
nkprint(f(2.7), f(-2.7), f(3), c(2.1), c(-2.1), c(-0.5), c(4))
nkprint(r(0.5), r(1.5), r(2.5), r(-0.5), r(-1.5), r(2.4999), r(7))
nkprint(r(123.456 * 100.0) / 100.0, f(-0.0))
nkprint(np.floor(np.linspace(-1.5, 1.5, 5)), np.ceil(np.linspace(-1.5, 1.5, 5)), np.round(np.linspace(-1.5, 1.5, 7)))
nkprint(np.round(np.arange(3)).astype(float))
