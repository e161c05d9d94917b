# Mandelbrot set on an n x n grid, at most 100 iterations per point: scalar f64 loops.
from twin import jit, run

MAX_ITER = 100


@jit
def escape(cr, ci):
    zr = 0.0
    zi = 0.0
    k = 0
    while k < MAX_ITER:
        zr2 = zr * zr
        zi2 = zi * zi
        if zr2 + zi2 > 4.0:
            return k
        zi = 2.0 * zr * zi + ci
        zr = zr2 - zi2 + cr
        k += 1
    return k


@jit
def mandelbrot(n):
    total = 0
    inside = 0
    for i in range(n):
        ci = -1.25 + 2.5 * i / n
        for j in range(n):
            k = escape(-2.0 + 2.5 * j / n, ci)
            total += k
            if k == MAX_ITER:
                inside += 1
    return total, inside


run(mandelbrot)
