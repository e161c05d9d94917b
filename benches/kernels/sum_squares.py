import sys

def main(n):
    s = 0
    for i in range(n):
        s += i * i % 7
    print(s)

main(int(sys.argv[1]))
