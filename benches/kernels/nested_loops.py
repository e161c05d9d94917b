# Plain CPython: lists of lists, same explicit loops.
import sys

def main(n):
    a = [[0.0] * n for _ in range(n)]
    b = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(n):
            a[i][j] = float((i * 3 + j) % 7) - 3.0
            b[i][j] = float((i + 2 * j) % 5) * 0.5
    c = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(n):
            s = 0.0
            for k in range(n):
                s += a[i][k] * b[k][j]
            c[i][j] = s
    t = 0.0
    for i in range(n):
        t += c[i][i] + c[i][n - 1 - i]
    print(t)

main(int(sys.argv[1]))
