"""10^5 calls with bounded memory."""

import gc
import os

import numpy as np

import nvm


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_100k_calls_bounded_memory(kernels_path):
    m = nvm.load(kernels_path, cache_dir=False)
    a = np.arange(1000.0)
    b = np.zeros((4, 4), dtype=np.int32)

    def round_(n):
        for i in range(n):
            m.add(i, 1)
            m.total(a)
            r = m.doubled(a)  # a new result array each call
            m.bump2(b)
            assert r[1] == 2.0
    round_(2_000)  # warm: compiled, caches filled
    gc.collect()
    before = rss_bytes()
    round_(25_000)  # 10^5 calls
    gc.collect()
    grown = rss_bytes() - before
    # 25,000 result arrays of 8 KB went through: a leak of them would be 200 MB.
    assert grown < 8 * 2**20, f"RSS grew by {grown / 2**20:.1f} MiB over 10^5 calls"
