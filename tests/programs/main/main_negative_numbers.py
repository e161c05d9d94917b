from nkfmt import nkprint
import sys
a = float(sys.argv[1]); b = int(sys.argv[2]); c = float(sys.argv[3])
nkprint(a, b, c, a * b)
