"""One code heap folder shared by several Python processes: each specialization is
compiled once and stored once; after nvm.build no process compiles anything."""

import multiprocessing as mp

import numpy as np
import pytest

import nvm

from conftest import DATA

STENCIL = DATA / "stencil.nk"


def smooth_np(x):
    up = np.vstack([x[:1], x[:-1]])
    down = np.vstack([x[1:], x[-1:]])
    return 0.5 * x + 0.25 * (up + down)


def worker(args):
    heap, seed = args
    e = nvm.Engine(cache_dir=heap)
    m = e.load(STENCIL)
    x = np.random.default_rng(seed).random((50, 40))
    r = m.smooth(x)
    n1 = m.norm(x[0])
    n2 = m.norm(np.arange(5))
    ok = np.allclose(r, smooth_np(x)) and np.isclose(n1, np.linalg.norm(x[0])) and np.isclose(n2, np.linalg.norm(np.arange(5)))
    s = e.stats()
    return ok, s["native"], s["loaded"]


def run_pool(heap, n):
    ctx = mp.get_context("spawn")
    with ctx.Pool(n) as pool:
        return pool.map(worker, [(str(heap), i) for i in range(n)])


def test_processes_share_one_heap(tmp_path):
    # One process alone: how many entries this work makes.
    alone = tmp_path / "alone"
    assert worker((str(alone), 0))[0]
    expected = nvm.cache_entries(alone)["entries"]
    assert expected >= 3  # smooth(f64[,]), norm(f64[]), norm(i64[])

    shared = tmp_path / "shared"
    results = run_pool(shared, 3)
    assert all(ok for ok, _, _ in results), results
    # Every specialization compiled (by whichever process got there first) or loaded.
    assert all(native + loaded >= 3 for _, native, loaded in results), results
    assert nvm.cache_entries(shared)["entries"] == expected
    report, clean = nvm.cache_verify(shared)
    assert clean, report

    # A second round finds everything in the heap: nothing is compiled.
    again = run_pool(shared, 2)
    assert [native for _, native, _ in again] == [0, 0], again
    assert nvm.cache_entries(shared)["entries"] == expected


def test_after_build_no_process_compiles(tmp_path):
    heap = tmp_path / "built"
    r = nvm.build(STENCIL, cache_dir=heap)
    assert r["native"] >= 3, r
    assert nvm.build(STENCIL, cache_dir=heap)["native"] == 0  # built already
    results = run_pool(heap, 2)
    assert all(ok for ok, _, _ in results)
    assert [native for _, native, _ in results] == [0, 0], results
    assert all(loaded >= 3 for _, _, loaded in results), results
    report, clean = nvm.cache_verify(heap)
    assert clean, report


def test_build_errors(tmp_path):
    bad = tmp_path / "bad.nk"
    bad.write_text("fn main() { let x = ; }")
    with pytest.raises(nvm.CompileError) as e:
        nvm.build(bad, cache_dir=tmp_path / "h")
    assert e.value.diagnostics[0].line == 1
    with pytest.raises(FileNotFoundError):
        nvm.build(tmp_path / "missing.nk", cache_dir=tmp_path / "h")
    with pytest.raises(ValueError, match="code heap"):
        nvm.build(bad, cache_dir=False)
