import numpy as np
from nkfmt import nkprint


def vals(n):
    return ((np.arange(n) * 7919 + 13) % 10007) / 10007.0 * 3.7 - 1.85


x = vals(20000)
for n in [0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 64, 65, 127, 128, 129, 130, 255, 256, 257, 300, 1000, 1023, 8193]:
    y = x[0:n]
    y32 = y.astype(np.float32)
    with np.errstate(all="ignore"):
        nkprint(n, y.sum(), y32.sum(), np.mean(y), np.mean(y32), np.var(y), np.std(y32))
nkprint(x.sum(), x.astype(np.float32).sum(), x.var(), x.std(), x.astype(np.float32).var())
m = x[0:6000].reshape(60, 100)
mf = np.asfortranarray(m)
nkprint(m.sum(), mf.sum(), m.T.sum(), x[::3].sum(), x[::-1].sum(), m[:, ::2].sum(), m.T.mean(), mf.var())
m32 = m.astype(np.float32)
nkprint(m32.sum(), m32.T.sum(), x.astype(np.float32)[::7].sum(), m32.mean(), m32.T.var())
s0 = m.sum(axis=0)
s1 = m.sum(axis=1)
nkprint(s0[0], s0[99], s1[0], s1[59], m.T.sum(axis=0)[3], m.mean(axis=1)[7], m.var(axis=0)[5])
big = (np.arange(20000) * 982451653 + 7) % 1000000007 * 1000000
nkprint(int(big.sum()), big.mean(), (big // 1000000 % 997).astype(np.int32).var(), (big % 251).astype(np.uint8).mean(), (big % 3 == 0).mean())
nkprint((x[0:40] + 1.0).prod(), x[0:40].astype(np.float32).prod(), x.min(), x.max(), int(x.argmin()), int(m.T.argmax()))
