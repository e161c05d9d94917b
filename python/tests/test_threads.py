"""The GIL is released while nk runs; engines on two threads run at once."""

import threading
import time

import numpy as np

import nvm


def test_gil_is_released_while_nk_runs(kernels_path):
    m = nvm.load(kernels_path, cache_dir=False)
    m.spin(1000)
    ticks = 0
    stop = threading.Event()

    def python_work():
        nonlocal ticks
        while not stop.is_set():
            ticks += 1

    t = threading.Thread(target=python_work)
    t.start()
    try:
        t0 = time.monotonic()
        n = 1
        while time.monotonic() - t0 < 0.5:  # at least half a second inside nk
            m.spin(n)
            n *= 4
        before = ticks
        m.spin(n)  # the longest call: Python keeps running beside it
        during = ticks - before
    finally:
        stop.set()
        t.join()
    assert during > 1000, during


def test_two_threads_each_with_its_own_engine(kernels_path, tmp_path):
    results = {}
    errors = []
    started = threading.Barrier(2)

    def work(tag, k):
        try:
            m = nvm.Engine(cache_dir=tmp_path / "heap").load(kernels_path)
            started.wait()
            a = np.arange(10_000, dtype=np.float64) * k
            out = 0.0
            for _ in range(50):
                out = m.total(a)
            results[tag] = (out, m.spin(200_000), m.engine.stats()["calls"])
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    ts = [threading.Thread(target=work, args=(i, i + 1)) for i in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors, errors
    s = 0
    for i in range(200_000):
        s = (s + i) % 1000003
    for tag in (0, 1):
        out, spin, _calls = results[tag]
        assert out == np.arange(10_000).sum() * (tag + 1)
        assert spin == s


def test_one_engine_shared_by_threads_takes_turns(kernels_path):
    m = nvm.load(kernels_path, cache_dir=False)
    out = []

    def work():
        for i in range(200):
            out.append(m.add(i, 1))

    ts = [threading.Thread(target=work) for _ in range(3)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert sorted(out) == sorted([i + 1 for i in range(200)] * 3)


def test_prange_runs_on_the_engines_threads_with_the_serial_result():
    src = """
fn total(x: f64[], out: f64[]) -> (f64, i64) {
    let s = 0.0;
    let c = 0;
    for i in prange(len(x)) {
        out[i] = x[i] * 2.0;
        s += out[i];
        c += 1;
    }
    return (s, c);
}
"""
    x = np.arange(1000.0)
    results = []
    for threads in (1, 3):
        e = nvm.Engine(tier="jit", cache_dir=False, threads=threads)
        out = np.zeros(1000)
        results.append(e.compile(src).total(x, out))
        np.testing.assert_array_equal(out, x * 2.0)
    assert results[0] == results[1] == (999000.0, 1000)


def test_threads_must_be_positive():
    import pytest

    with pytest.raises(ValueError, match="threads"):
        nvm.Engine(threads=0)
