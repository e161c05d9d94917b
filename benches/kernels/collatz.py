# Longest Collatz chain below n: while loops + branches.
from twin import jit, run


@jit
def collatz_len(n):
    steps = 0
    while n != 1:
        if n % 2 == 0:
            n = n // 2
        else:
            n = 3 * n + 1
        steps += 1
    return steps


@jit
def collatz(n):
    best = 0
    best_n = 0
    for k in range(1, n):
        l = collatz_len(k)
        if l > best:
            best = l
            best_n = k
    return best_n, best


run(collatz)
