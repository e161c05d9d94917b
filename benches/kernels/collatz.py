import sys

def collatz_len(n):
    steps = 0
    while n != 1:
        if n % 2 == 0:
            n = n // 2
        else:
            n = 3 * n + 1
        steps += 1
    return steps

def main(n):
    best = 0
    best_n = 0
    for k in range(1, n):
        l = collatz_len(k)
        if l > best:
            best = l
            best_n = k
    print(best_n, best)

main(int(sys.argv[1]))
