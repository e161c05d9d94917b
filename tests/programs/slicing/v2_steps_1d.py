from nkfmt import nkprint
import numpy as np
a = np.arange(10)
nkprint(a[::2], a[1::2], a[::3], a[::-1], a[::-2], a[::-3])
nkprint(a[2:8:2], a[8:2:-2], a[8:2:-1], a[-1:-4:-1], a[-4::-1], a[:-4:-1])
nkprint(a[2:8:-1], a[8:2:2], a[5:5:1], a[5:5:-1])
nkprint(a[100:-100:-4], a[-100:100:4], a[100::-3], a[:-100:-5], a[-100::-1])
nkprint(a[::10], a[::11], a[::-10], a[::-100], a[3::100], a[3::-100])
nkprint(len(a[::3]), len(a[::-4]), len(a[7:0:-3]), len(a[0:7:-3]))
r = a[::-1]
nkprint(r[::2], r[1::3], r[::-1], r[2:7][::-2], a[1::2][::-1])
st = 3
nkprint(a[::st], a[::-st], a[st:: -st + 1], a[1:9:st - 1])
x = np.linspace(0.0, 1.0, 5)
nkprint(x[::-1], x[1::2])
b = x > 0.3
nkprint(b[::-1], b[::2])
e = np.zeros(0)
nkprint(e[::-1], e[::3], len(e[::-1]))
