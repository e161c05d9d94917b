from nkfmt import nkprint
n = 10
n /= 4
nkprint(n)
