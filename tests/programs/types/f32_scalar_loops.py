from nkfmt import nkprint
import numpy as np
import sys
import warnings
warnings.simplefilter("ignore")
f32 = np.float32


def halve(x):
    return f32(x / f32(2))


n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
y = np.arange(n).astype(f32) * f32(0.37) + f32(0.011)
s, p, q = f32(0), f32(1), f32(1)
for i in range(n):
    s = f32(s + y[i])
    p = f32(p * f32(1.0001))
    q = f32(f32(q / f32(1.1)) + f32(0.25))
nkprint(s, p, q, np.float64(s))
h = f32(0)
for i in range(n):
    h = f32(halve(f32(h + y[i])) - f32(0.5))
nkprint(h)
t = f32(0)
out = np.zeros(n, f32)
for i in range(n):
    if i % 3 == 0:
        t = f32(t - f32(y[i] * f32(0.3)))
    else:
        t = f32(-t + f32(0.7))
    out[i] = t
nkprint(t, out[n - 1], np.sum(out))
w, k = f32(1), 0
while w < 1000000.0:
    w = f32(f32(w * f32(1.7)) + f32(k))
    k += 1
nkprint(w, k)
z, big, e = f32(0), f32(3e38), f32(0)
for i in range(3):
    e = f32(f32(e + f32(big * big)) - f32(z / z))
nkprint(big * big, -(big * big), e)
