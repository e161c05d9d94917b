from nkfmt import nkprint
import sys
n = int(sys.argv[1]); x = float(sys.argv[2]); v = sys.argv[3] == "true"
nkprint(n, x, v); nkprint(n * 2, x * 2.0, not v)
