# NumPy: same reductions.
import sys
import numpy as np

def main(n):
    a = (np.arange(n) % 1000).astype(np.float64)
    s = a.sum()
    m = a.mean()
    mx = a.max()
    mn = (a - 1.0).min()
    print(repr(float(s)), repr(float(m)), repr(float(mx)), repr(float(mn)))

main(int(sys.argv[1]))
