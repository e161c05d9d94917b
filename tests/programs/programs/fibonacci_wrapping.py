from nkfmt import nkprint, wrap64
def fib(n):
    a, b = 0, 1
    for i in range(n): a, b = b, wrap64(a + b)
    return a
nkprint(fib(10), fib(50), fib(92), fib(93), fib(200))
