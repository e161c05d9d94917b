import math
from nkfmt import nkprint
nan = float("nan"); inf = float("inf")
nkprint(math.isnan(nan), math.isnan(inf), math.isnan(1.0), math.isinf(inf), math.isinf(-inf), math.isinf(nan), math.isinf(1e308))
nkprint(nan, inf, -inf, inf - inf, inf * 0.0, -nan == -nan)
