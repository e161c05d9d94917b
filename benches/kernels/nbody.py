# The classic 5-body simulation, n steps of dt = 0.01: lists on CPython, f64 arrays under
# Numba (see twin.zeros). Same operations in the same order as nbody.nk.
from math import sqrt

from twin import jit, run, zeros

PI = 3.141592653589793
SOLAR_MASS = 4.0 * PI * PI
DAYS_PER_YEAR = 365.24


@jit
def energy(x, y, z, vx, vy, vz, m):
    e = 0.0
    nb = len(m)
    for i in range(nb):
        e += 0.5 * m[i] * (vx[i] * vx[i] + vy[i] * vy[i] + vz[i] * vz[i])
        for j in range(i + 1, nb):
            dx = x[i] - x[j]
            dy = y[i] - y[j]
            dz = z[i] - z[j]
            e -= m[i] * m[j] / sqrt(dx * dx + dy * dy + dz * dz)
    return e


@jit
def advance(x, y, z, vx, vy, vz, m, dt):
    nb = len(m)
    for i in range(nb):
        for j in range(i + 1, nb):
            dx = x[i] - x[j]
            dy = y[i] - y[j]
            dz = z[i] - z[j]
            d2 = dx * dx + dy * dy + dz * dz
            mag = dt / (d2 * sqrt(d2))
            mi = m[i] * mag
            mj = m[j] * mag
            vx[i] -= dx * mj
            vy[i] -= dy * mj
            vz[i] -= dz * mj
            vx[j] += dx * mi
            vy[j] += dy * mi
            vz[j] += dz * mi
    for i in range(nb):
        x[i] += dt * vx[i]
        y[i] += dt * vy[i]
        z[i] += dt * vz[i]


@jit
def nbody(n):
    x = zeros(5)
    y = zeros(5)
    z = zeros(5)
    vx = zeros(5)
    vy = zeros(5)
    vz = zeros(5)
    m = zeros(5)
    # The Sun stays at the origin, at rest (until offset below).
    m[0] = SOLAR_MASS
    # Jupiter
    x[1] = 4.84143144246472090e00
    y[1] = -1.16032004402742839e00
    z[1] = -1.03622044471123109e-01
    vx[1] = 1.66007664274403694e-03 * DAYS_PER_YEAR
    vy[1] = 7.69901118419740425e-03 * DAYS_PER_YEAR
    vz[1] = -6.90460016972063023e-05 * DAYS_PER_YEAR
    m[1] = 9.54791938424326609e-04 * SOLAR_MASS
    # Saturn
    x[2] = 8.34336671824457987e00
    y[2] = 4.12479856412430479e00
    z[2] = -4.03523417114321381e-01
    vx[2] = -2.76742510726862411e-03 * DAYS_PER_YEAR
    vy[2] = 4.99852801234917238e-03 * DAYS_PER_YEAR
    vz[2] = 2.30417297573763929e-05 * DAYS_PER_YEAR
    m[2] = 2.85885980666130812e-04 * SOLAR_MASS
    # Uranus
    x[3] = 1.28943695621391310e01
    y[3] = -1.51111514016986312e01
    z[3] = -2.23307578892655734e-01
    vx[3] = 2.96460137564761618e-03 * DAYS_PER_YEAR
    vy[3] = 2.37847173959480950e-03 * DAYS_PER_YEAR
    vz[3] = -2.96589568540237556e-05 * DAYS_PER_YEAR
    m[3] = 4.36624404335156298e-05 * SOLAR_MASS
    # Neptune
    x[4] = 1.53796971148509165e01
    y[4] = -2.59193146099879641e01
    z[4] = 1.79258772950371181e-01
    vx[4] = 2.68067772490389322e-03 * DAYS_PER_YEAR
    vy[4] = 1.62824170038242295e-03 * DAYS_PER_YEAR
    vz[4] = -9.51592254519715870e-05 * DAYS_PER_YEAR
    m[4] = 5.15138902046611451e-05 * SOLAR_MASS
    # Offset the Sun's momentum so the system's total momentum is zero.
    px = 0.0
    py = 0.0
    pz = 0.0
    for i in range(5):
        px += vx[i] * m[i]
        py += vy[i] * m[i]
        pz += vz[i] * m[i]
    vx[0] = -px / SOLAR_MASS
    vy[0] = -py / SOLAR_MASS
    vz[0] = -pz / SOLAR_MASS

    e0 = energy(x, y, z, vx, vy, vz, m)
    for step in range(n):
        advance(x, y, z, vx, vy, vz, m, 0.01)
    return e0, energy(x, y, z, vx, vy, vz, m)


run(nbody)
