from nkfmt import nkprint


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


x = 1.0
nkprint(x)
x = 2.5
nkprint(x + fib(10))
s = "a"
s = "bc"
nkprint(s)
t = 0.0
for i in range(0, 100):
    t += i * 0.5
nkprint(t)
y = 3.0
if y > 2:
    y = y * 1.5
nkprint(y)
