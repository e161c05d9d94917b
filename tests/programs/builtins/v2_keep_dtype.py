from nkfmt import nkprint
import numpy as np
a = np.arange(5, dtype=np.uint8)
i = np.arange(-2, 3, dtype=np.int32)
z = np.zeros_like(a); assert z.dtype == np.uint8
o = np.ones_like(i); assert o.dtype == np.int32
b = a > 2
ob = np.ones_like(b); assert ob.dtype == np.bool_
fl = np.full_like(a, 7); assert fl.dtype == np.uint8
nkprint(z, o, ob, fl, np.full_like(np.arange(3), 0.5), np.full_like(np.linspace(0.0, 1.0, 2), 3))
s = np.sign(i); assert s.dtype == np.int32
d = np.diff(a); assert d.dtype == np.uint8
dd = np.diff(i); assert dd.dtype == np.int32
ou = np.outer(a, a); assert ou.dtype == np.uint8
nkprint(s, d, dd, ou, np.sign(a), np.diff(np.arange(4, 0, -1, dtype=np.uint8)))
f = i.astype(np.float32)
fs = np.sign(f); assert fs.dtype == np.float32
nkprint(fs, np.zeros_like(f), np.outer(f, f), np.empty_like(b) & False, np.full_like(b, 2))
