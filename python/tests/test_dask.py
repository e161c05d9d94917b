"""examples/dask_chunks.py on a LocalCluster of 2 worker processes sharing one code heap."""

import importlib.util
import pathlib

import numpy as np
import pytest

import nvm

pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "dask_chunks.py"


def load_example():
    spec = importlib.util.spec_from_file_location("dask_chunks", EXAMPLE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, distributed.Client(cluster) as c:
        yield c


def test_dask_job_shares_one_heap(client, tmp_path):
    ex = load_example()
    # Cold: an empty heap; whichever worker needs a specialization first compiles it.
    cold = str(tmp_path / "cold")
    result, expect, reports = ex.run(client, cold, size=1200, chunk=300)
    np.testing.assert_allclose(result, expect, rtol=1e-12, atol=1e-12)
    assert sum(r["tasks_ran"] for r in reports) >= 1
    ran = [r for r in reports if r["tasks_ran"]]
    assert all(r["compiled_native"] + r["loaded_from_heap"] >= 3 for r in ran), reports
    # wave(f64[,], f64), shape(f64, f64), damp(f64): each stored once.
    assert nvm.cache_entries(cold)["entries"] == 3
    report, clean = nvm.cache_verify(cold)
    assert clean, report


def test_dask_job_after_build_compiles_nothing(client, tmp_path):
    ex = load_example()
    heap = str(tmp_path / "built")
    built = nvm.build(ex.KERNEL, cache_dir=heap)
    assert built["native"] >= 3, built
    entries = nvm.cache_entries(heap)["entries"]
    result, expect, reports = ex.run(client, heap, size=1200, chunk=300, seed=1)
    np.testing.assert_allclose(result, expect, rtol=1e-12, atol=1e-12)
    ran = [r for r in reports if r["tasks_ran"]]
    assert ran, reports
    assert [r["compiled_native"] for r in ran] == [0] * len(ran), reports
    assert all(r["loaded_from_heap"] == 3 for r in ran), reports
    assert nvm.cache_entries(heap)["entries"] == entries  # nothing added
    assert nvm.cache_verify(heap)[1]


def test_numba_twin_computes_the_same(tmp_path, monkeypatch):
    """benches/dask_compare.py's Numba kernel is the nk kernel's twin (needs numba)."""
    pytest.importorskip("numba")
    import sys

    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "numba"))
    monkeypatch.syspath_prepend(str(EXAMPLE.parents[1] / "benches"))
    sys.modules.pop("dask_numba_kernel", None)
    import dask_numba_kernel

    x = np.random.default_rng(3).random((30, 20)) * 4 - 2
    m = nvm.load(load_example().KERNEL, cache_dir=False)
    np.testing.assert_allclose(dask_numba_kernel.wave(x, 0.5), m.wave(x, 0.5), rtol=1e-12, atol=1e-12)
