from nkfmt import nkprint
import numpy as np
m = np.arange(0.0, 12.0).reshape(3, 4)
nkprint(m[1, :], m[:, 2], m[0:2, 1:3])
nkprint(m[1, :].shape, m[:, 2].shape, m[0:2, 1:3].shape, m[1:, :].shape)
col = m[:, 3]; col[0] = 100.0
blk = m[1:3, 0:2]; blk[1, 1] = -5.0
nkprint(m)
nkprint(m[:, 0].sum(), m[2, :].max())
