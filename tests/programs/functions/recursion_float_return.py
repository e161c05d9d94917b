from nkfmt import nkprint
def power(x, n): return x * power(x, n - 1) if n > 0 else 1.0
def halve_until(x): return halve_until(x / 2.0) + 1 if x >= 1.0 else 0
nkprint(power(2.0, 10), power(0.5, 3), power(3, 2))
nkprint(halve_until(1000.0))
