from nkfmt import nkprint
import numpy as np
import warnings
warnings.simplefilter("ignore")
f32, i32, u8 = np.float32, np.int32, np.uint8
a = np.zeros(5, f32); b = np.ones((2, 3), dtype=i32); c = np.full(4, 7, u8); d = np.arange(6, dtype=i32)
nkprint(a, b, c, d)
x = f32(0.1)
nkprint(x, x + f32(0.2), x * 3, x / 3, x + 0.2, x + 1)
u = u8(250)
nkprint(u + 10, np.int64(300).astype(u8), i32(2147483647) + i32(1), np.int64(-1).astype(u8), u * 2)
f = f32(1.0) / 3
nkprint(f, np.float64(f), i32(-3.9), u8(255), int(f32(2.5)), f32(16777217))
arr = np.arange(10, dtype=u8)
nkprint(arr + 250, arr * 2.5, arr / 2, -arr, arr > 300, arr == 3)
g = np.arange(5).astype(f32) * 0.1
# nk computes f32 math in f64 and rounds once (correctly rounded; NumPy's float32 loops
# may differ by one ulp): the twin does the same.
nkprint(g, np.sqrt(g), abs(i32(-5)), abs(u8(200)), f32(np.exp(1.0)))
h = g.astype(i32)
nkprint(h, (np.arange(4) - 1).astype(u8), np.arange(3).astype(bool))
i = i32(7); j = u8(3)
nkprint(i + j, i * j, i // j, i % j, i ** j, j - i)
nkprint(f32(3) + i32(1), f32(2) * u8(2), np.minimum(u8(3), 5), np.maximum(f32(1.5), 2))
nkprint(1e-5 * f32(1), f32(1e8), f32(0.0001), f32(1) / f32(3) * 3)
