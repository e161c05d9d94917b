# numba-examples' lennard_jones (numba_scalar_impl): the Lennard-Jones potential of a
# cluster of n atoms over every pair, `distance(cluster[i], cluster[j])` on row views, as
# lennard_jones.nk (a list of 3-lists on CPython, an (n, 3) array under Numba).
from twin import NUMBA, jit, run

if NUMBA:
    import numpy as np


@jit
def lj(r):
    sr6 = (1.0 / r) ** 6
    return 4.0 * (sr6 * sr6 - sr6)


@jit
def distance(atom1, atom2):
    dx = atom2[0] - atom1[0]
    dy = atom2[1] - atom1[1]
    dz = atom2[2] - atom1[2]
    return (dx * dx + dy * dy + dz * dz) ** 0.5


@jit
def potential(cluster):
    energy = 0.0
    for i in range(len(cluster) - 1):
        for j in range(i + 1, len(cluster)):
            r = distance(cluster[i], cluster[j])
            energy += lj(r)
    return energy


@jit
def fill_cluster(cluster, n):
    side = 10.0 * n ** (1.0 / 3.0)
    s = 12345
    for i in range(n):
        for c in range(3):
            s = (1103515245 * s + 12345) % 2147483648
            cluster[i][c] = side * (s / 2147483648.0)


def lennard_jones(n):
    cluster = np.zeros((n, 3)) if NUMBA else [[0.0] * 3 for _ in range(n)]
    fill_cluster(cluster, n)
    return potential(cluster)


run(lennard_jones)
