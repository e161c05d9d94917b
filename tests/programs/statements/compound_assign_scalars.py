from nkfmt import nkprint
x = 10
x += 5; nkprint(x)
x -= 20; nkprint(x)
x *= -3; nkprint(x)
f = 1.0
f += 2; nkprint(f)
f *= 1.5; nkprint(f)
f /= 4; nkprint(f)
f -= 0.125; nkprint(f)
nkprint(7.0 / 2)
