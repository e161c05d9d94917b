from nkfmt import nkprint
import numpy as np
def step(g):
    h, w = g.shape; out = np.zeros_like(g)
    for i in range(h):
        for j in range(w):
            n = sum(g[(i + di) % h, (j + dj) % w] for di in (-1, 0, 1) for dj in (-1, 0, 1) if di or dj)
            if n == 3 or (n == 2 and g[i, j] == 1): out[i, j] = 1
    return out
g = np.zeros((8, 8), dtype=np.int64)
g[0, 1] = 1; g[1, 2] = 1; g[2, 0] = 1; g[2, 1] = 1; g[2, 2] = 1
for t in range(4): g = step(g)
nkprint(g); nkprint(int(g.sum()))
