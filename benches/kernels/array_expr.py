# NumPy: same elementwise expressions (each op allocates a new array, as in nk).
import sys
import numpy as np

def main(n):
    a = np.linspace(0.0, 1.0, n)
    b = np.arange(n) * 0.001
    c = np.zeros(n)
    for r in range(20):
        c = a * 2.0 + b
        a = c * 0.5 - b * 0.25
    print(repr(float(c[0])), repr(float(c[n // 2])), repr(float(c[n - 1])))

main(int(sys.argv[1]))
