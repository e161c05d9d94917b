# Sieve of Eratosthenes: count primes <= n. A list of bools on CPython, a bool array
# under Numba (see twin.full).
from twin import full, jit, run


@jit
def sieve(n):
    is_p = full(n + 1, True)
    is_p[0] = False
    is_p[1] = False
    i = 2
    while i * i <= n:
        if is_p[i]:
            j = i * i
            while j <= n:
                is_p[j] = False
                j += i
        i += 1
    count = 0
    for k in range(n + 1):
        if is_p[k]:
            count += 1
    return count


run(sieve)
