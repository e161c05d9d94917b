from nkfmt import nkprint
import sys
nkprint(float(sys.argv[1]), float(sys.argv[1]) / 2, sys.argv[2] == "true")
