# Plain CPython: list of bools, same explicit loops.
import sys

def main(n):
    is_p = [True] * (n + 1)
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
    print(count)

main(int(sys.argv[1]))
