from nkfmt import nkprint
import numpy as np
nkprint("n =", 3, "x =", 2.5, "ok:", True, "a:", np.arange(2), "t:", (1, 2.0))
nkprint("no", "spaces", "added", "inside:", "a  b")
nkprint(1, "", 2)
