# Recursive Fibonacci: call-heavy.
from twin import jit, run


@jit
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


run(fib)
