from nkfmt import nkprint
import math
nkprint(math.gcd(48, 18), math.gcd(17, 5), math.gcd(0, 9), 4, 12, 42)
nkprint(sum(1 for i in range(1, 50) for j in range(1, 50) if math.gcd(i, j) == 1))
