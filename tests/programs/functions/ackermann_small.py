from nkfmt import nkprint
import sys
sys.setrecursionlimit(100000)
def ack(m, n):
    if m == 0: return n + 1
    if n == 0: return ack(m - 1, 1)
    return ack(m - 1, ack(m, n - 1))
nkprint(ack(0, 0), ack(1, 2), ack(2, 3), ack(3, 3))
