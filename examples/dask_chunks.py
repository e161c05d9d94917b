"""An nk kernel over the chunks of a dask.array, on a LocalCluster of worker processes
that all use one code heap folder.

    python examples/dask_chunks.py [--workers 4] [--size 4000] [--chunk 1000]
                                   [--cache-dir DIR] [--build]

Every worker process loads examples/dask_chunks.nk in an nvm engine of its own (once per
process) whose code heap is the shared folder: the first worker to need a specialization
compiles it and stores it there, every other worker loads it. With --build the heap is
filled first (nvm.build, as `nvm build` does) and no worker compiles anything. The
result is checked against NumPy; each worker's counters are printed.

Needs: pip install ./python dask distributed
"""

from __future__ import annotations

import argparse
import os
import pathlib
import resource
import sys
import tempfile
import time
import types

import numpy as np

import nvm

KERNEL = pathlib.Path(__file__).resolve().with_name("dask_chunks.nk")
A = 0.5


def wave_numpy(x: np.ndarray, a: float = A) -> np.ndarray:
    """What the nk kernel computes, in NumPy."""
    return a * x + np.sin(3.0 * x) * np.exp(-0.5 * x * x)


def _state():
    """This process's engines (one per code heap folder) and their first-call times.

    Kept in `sys.modules`, not in a global: functions defined in `__main__` travel to the
    workers by value, with a copy of the globals they use, so a module-level cache would
    be new in every task (and would try to carry an engine along)."""
    st = sys.modules.get("_nvm_dask_chunks_state")
    if st is None:
        st = types.ModuleType("_nvm_dask_chunks_state")
        st.modules, st.first_call = {}, {}
        sys.modules[st.__name__] = st
    return st


def wave_block(block: np.ndarray, heap: str) -> np.ndarray:
    """The task run on each chunk: the nk kernel, through this process's engine."""
    st = _state()
    m = st.modules.get(heap)
    if m is None:
        t0 = time.perf_counter()
        m = st.modules[heap] = nvm.load(KERNEL, cache_dir=heap)
        out = m.wave(block, A)
        st.first_call[heap] = time.perf_counter() - t0
        return out
    return m.wave(block, A)


def worker_report(heap: str) -> dict:
    """Run on every worker: its engine's counters, first-call time and peak memory."""
    st = _state()
    m = st.modules.get(heap)
    stats = m.engine.stats() if m is not None else None
    return {
        "pid": os.getpid(),
        "tasks_ran": m is not None,
        "compiled_native": stats["native"] if stats else 0,
        "loaded_from_heap": stats["loaded"] if stats else 0,
        "first_call_s": st.first_call.get(heap),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run(client, heap: str, size: int = 4000, chunk: int = 1000, seed: int = 0):
    """The job: returns (result, NumPy's result, the workers' reports)."""
    import dask.array as da

    x = da.random.default_rng(seed).random((size, size), chunks=(chunk, chunk)) * 4.0 - 2.0
    y = x.map_blocks(wave_block, heap, dtype=np.float64, meta=np.empty((0, 0)))
    result, xs = client.compute([y, x], sync=True)
    reports = list(client.run(worker_report, heap).values())
    return result, wave_numpy(xs), reports


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--size", type=int, default=4000)
    ap.add_argument("--chunk", type=int, default=1000)
    ap.add_argument("--cache-dir", default=None, help="the shared code heap (default: a new temporary folder)")
    ap.add_argument("--build", action="store_true", help="fill the code heap first (nvm.build)")
    args = ap.parse_args()

    from dask.distributed import Client, LocalCluster

    heap = args.cache_dir or tempfile.mkdtemp(prefix="nvm-dask-heap-")
    if args.build:
        print("nvm.build:", nvm.build(KERNEL, cache_dir=heap))
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
        t0 = time.perf_counter()
        result, expect, reports = run(client, heap, args.size, args.chunk)
        wall = time.perf_counter() - t0
    print(f"{args.size}x{args.size} in {args.chunk}x{args.chunk} chunks on {args.workers} workers: {wall:.2f} s")
    print("matches NumPy:", np.allclose(result, expect))
    for r in reports:
        print("  worker", r)
    print("code heap:", heap, nvm.cache_entries(heap), "clean" if nvm.cache_verify(heap)[1] else "NOT CLEAN")


if __name__ == "__main__":
    main()
