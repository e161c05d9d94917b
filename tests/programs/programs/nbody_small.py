from nkfmt import nkprint
import math
import numpy as np
def step(pos, vel, mass, dt):
    n = len(mass)
    for i in range(n):
        ax = 0.0; ay = 0.0
        for j in range(n):
            if i != j:
                dx = float(pos[j, 0]) - float(pos[i, 0]); dy = float(pos[j, 1]) - float(pos[i, 1])
                r2 = dx * dx + dy * dy + 0.01
                inv = float(mass[j]) / (r2 * math.sqrt(r2))
                ax += dx * inv; ay += dy * inv
        vel[i, 0] += dt * ax; vel[i, 1] += dt * ay
    pos += vel * dt
pos = np.zeros((3, 2)); pos[1, 0] = 1.0; pos[2, 1] = 1.0
vel = np.zeros((3, 2)); mass = np.ones(3); mass[0] = 2.0
for s in range(100): step(pos, vel, mass, 0.001)
nkprint(np.round(pos * 1e6) / 1e6)
e = 0.0
for i in range(3):
    e += 0.5 * float(mass[i]) * (float(vel[i, 0]) * float(vel[i, 0]) + float(vel[i, 1]) * float(vel[i, 1]))
nkprint(float(np.round(e * 1e6)) / 1e6)
