from nkfmt import nkprint
import numpy as np
def jacobi(u, iters):
    n = len(u); cur = u.copy(); nxt = u.copy()
    for it in range(iters):
        nxt[1:n-1] = (cur[0:n-2] + cur[2:n]) * 0.5
        cur, nxt = nxt, cur
    return cur
u = np.zeros(9); u[0] = 1.0; u[8] = 0.5
nkprint(np.round(jacobi(u, 200) * 1e6) / 1e6)
nkprint(jacobi(u, 1), jacobi(u, 2))
