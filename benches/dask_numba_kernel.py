"""The Numba twin of examples/dask_chunks.nk (same call tree: wave -> shape -> damp), each
function cached (`cache=True`), for benches/dask_compare.py."""

import numba
import numpy as np


@numba.njit(cache=True)
def damp(v):
    return np.exp(-0.5 * v * v)


@numba.njit(cache=True)
def shape(v, a):
    return a * v + np.sin(3.0 * v) * damp(v)


@numba.njit(cache=True)
def wave(x, a):
    out = np.zeros(x.shape)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            out[i, j] = shape(x[i, j], a)
    return out
