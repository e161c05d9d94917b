import sys

def main(n):
    s = 0.0
    x = 0.5
    for i in range(n):
        x = x * 1.000001 + 0.25
        if x > 1000.0:
            x = x / 3.0
        s += x * 0.5 - s * 1e-6
    print(s)

main(int(sys.argv[1]))
