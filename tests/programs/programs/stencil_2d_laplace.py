from nkfmt import nkprint
import numpy as np
u = np.zeros((6, 6)); u[0, :] = 1.0
def relax(u, iters):
    h, w = u.shape
    for it in range(iters):
        inner = (u[0:h-2, 1:w-1] + u[2:h, 1:w-1] + u[1:h-1, 0:w-2] + u[1:h-1, 2:w]) * 0.25
        u[1:h-1, 1:w-1] = inner
relax(u, 1); nkprint(u[1, :]); relax(u, 99); nkprint(np.round(u * 1e4) / 1e4)
