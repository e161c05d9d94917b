import numpy as np
from nkfmt import nkprint

a = np.uint8(250)
nkprint(np.minimum(a, np.int64(300)), np.maximum(a, np.int64(300)), max(np.int64(4294967296), np.int32(-1)))
nkprint(np.where(True, np.uint8(128), np.int64(-1))[()], np.where(False, np.uint8(128), np.int64(-1))[()])
nkprint(np.minimum(np.float32(0.1), np.float64(0.1)), np.maximum(np.float32(0.1), np.float64(0.1)), np.float64(min(np.float32(2.5), np.float64(3))))
nkprint(np.maximum(np.arange(3, dtype=np.uint8), np.int64(300)), np.minimum(np.arange(3, dtype=np.float32), np.float64(0.1)))
nkprint(np.arctan2(np.float32(1), np.float64(2)), np.arctan2(np.uint8(1), np.int64(2)))
