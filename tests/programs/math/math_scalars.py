from nkfmt import nkprint
import math
nkprint(math.sqrt(2.0), math.sqrt(16), math.exp(1.0), math.exp(0), math.log(10.0), math.log(1))
nkprint(math.log10(1000.0), math.log10(2.0), math.sin(0.5), math.cos(0.5), math.tan(0.5))
nkprint(math.asin(0.5), math.acos(0.5), math.atan(1.0), math.sinh(1.0), math.cosh(1.0), math.tanh(0.5))
nkprint(math.atan2(1.0, 1.0), math.atan2(-1, -1), math.atan2(0.0, -1.0), math.pow(2.0, 0.5), math.pow(2, 10))
