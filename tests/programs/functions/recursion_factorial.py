from nkfmt import nkprint
import math
def fib(n): return n if n < 2 else fib(n - 1) + fib(n - 2)
nkprint(math.factorial(1), math.factorial(5), math.factorial(20))
nkprint(fib(0), fib(1), fib(20))
