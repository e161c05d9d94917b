"""The Dask job of examples/dask_chunks.py with nvm and with Numba (`cache=True`), side by
side: cache bytes, first-call time per worker, peak memory per worker, errors.

    python3 benches/dask_compare.py [--workers 2] [--size 4000] [--chunk 1000] [--write BENCHMARKS.md]

Four runs, each in a fresh process with a fresh LocalCluster (worker processes, one
thread each): nvm with an empty code heap (cold), nvm again on that heap (warm), Numba
with an empty cache folder (NUMBA_CACHE_DIR, cold), Numba again on it (warm). Each worker
times its first call of the kernel (for nvm: making the engine, loading the .nk file and
the call; for Numba: importing the kernel module and the first call of the dispatcher,
which compiles or loads its cache; `import nvm` / `import numba` are not timed)
and reports its peak RSS (ru_maxrss: the whole worker process, Dask included). Cache
bytes are the folder's size after the run. Needs: the package (pip install ./python),
dask, distributed and numba.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import resource
import subprocess
import sys
import tempfile
import time
import types

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
BENCHES = ROOT / "benches"
KERNEL = ROOT / "examples" / "dask_chunks.nk"
A = 0.5
BEGIN, END = "<!-- dask:begin -->", "<!-- dask:end -->"


def _state():
    st = sys.modules.get("_dask_compare_state")
    if st is None:
        st = types.ModuleType("_dask_compare_state")
        st.kernel, st.first_call, st.engine, st.later_call = None, None, None, None
        sys.modules[st.__name__] = st
    return st


def task_nvm(block, heap):
    st = _state()
    if st.kernel is None:
        import nvm

        t0 = time.perf_counter()
        m = nvm.load(KERNEL, cache_dir=heap)
        out = m.wave(block, A)
        st.first_call, st.kernel, st.engine = time.perf_counter() - t0, m.wave, m.engine
        return out
    return timed(st, block)


def timed(st, block):
    t0 = time.perf_counter()
    out = st.kernel(block, A)
    st.later_call = time.perf_counter() - t0
    return out


def task_numba(block, _heap):
    st = _state()
    if st.kernel is None:
        import numba  # noqa: F401 - imported before the clock starts, as nvm is

        t0 = time.perf_counter()
        import dask_numba_kernel as k  # on the workers, with NUMBA_CACHE_DIR set

        out = k.wave(block, A)
        st.first_call, st.kernel = time.perf_counter() - t0, k.wave
        return out
    return timed(st, block)


def report(_):
    st = _state()
    r = {
        "first_call_s": st.first_call,
        "later_call_s": st.later_call if st.later_call is not None else float("nan"),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if st.engine is not None:
        s = st.engine.stats()
        r["compiled"], r["loaded"] = s["native"], s["loaded"]
    elif st.kernel is not None:
        stats = st.kernel.stats
        r["compiled"], r["loaded"] = len(stats.cache_misses), len(stats.cache_hits)
    return r


def folder_bytes(path):
    return sum(f.stat().st_size for f in pathlib.Path(path).rglob("*") if f.is_file())


def one_run(kind, cache, workers, size, chunk):
    """In this process: the job on a new cluster; prints one JSON line."""
    import dask.array as da
    from dask.distributed import Client, LocalCluster

    out = {"kind": kind, "ok": False}
    task = task_nvm if kind == "nvm" else task_numba
    try:
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
            x = da.random.default_rng(0).random((size, size), chunks=(chunk, chunk)) * 4.0 - 2.0
            t0 = time.perf_counter()
            y = x.map_blocks(task, cache, dtype=np.float64, meta=np.empty((0, 0)))
            result, xs = client.compute([y, x], sync=True)
            out["wall_s"] = time.perf_counter() - t0
            expect = A * xs + np.sin(3.0 * xs) * np.exp(-0.5 * xs * xs)
            out["matches_numpy"] = bool(np.allclose(result, expect))
            out["workers"] = [r for r in client.run(report, None).values() if r["first_call_s"] is not None]
            out["ok"] = out["matches_numpy"]
    except Exception as e:  # noqa: BLE001 - reported in the table
        out["error"] = f"{type(e).__name__}: {e}"[:300]
    out["cache_bytes"] = folder_bytes(cache)
    print(json.dumps(out))


def run_scenario(kind, cache, args):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(BENCHES), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    if kind == "numba":
        env["NUMBA_CACHE_DIR"] = str(cache)
    cmd = [sys.executable, __file__, "--one", kind, "--cache", str(cache), "--workers", str(args.workers), "--size", str(args.size), "--chunk", str(args.chunk)]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
    if not lines:
        return {"kind": kind, "ok": False, "error": (p.stderr.strip().splitlines() or ["no output"])[-1], "cache_bytes": folder_bytes(cache)}
    return json.loads(lines[-1])


def fmt_workers(r, key, scale=1.0, unit=""):
    ws = r.get("workers") or []
    return ", ".join(f"{w[key] * scale:.{0 if unit == ' MiB' else 3}f}{unit}" for w in ws) or "—"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--size", type=int, default=4000)
    ap.add_argument("--chunk", type=int, default=1000)
    ap.add_argument("--write", metavar="REPORT")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--cache", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        return one_run(args.one, args.cache, args.workers, args.size, args.chunk)

    rows = []
    with tempfile.TemporaryDirectory(prefix="dask-compare-") as tmp:
        for kind in ("nvm", "numba"):
            cache = pathlib.Path(tmp) / kind
            cache.mkdir()
            for phase in ("cold", "warm"):
                r = run_scenario(kind, cache, args)
                r["phase"] = phase
                rows.append(r)
                print(json.dumps(r), file=sys.stderr)
    try:
        import numba

        nb = f"Numba {numba.__version__}"
    except ImportError:
        nb = "Numba (not installed)"
    import nvm

    cmd = "python3 benches/dask_compare.py" + (f" --workers {args.workers}" if args.workers != 2 else "") + (f" --write {args.write}" if args.write else "")
    L = [
        BEGIN,
        "### Dask: one code heap for the cluster vs Numba's per-function cache",
        "",
        f"Command: `{cmd}` — examples/dask_chunks.nk (`wave` calling `shape` calling `damp`) over a "
        f"{args.size}×{args.size} float64 `dask.array` in {args.chunk}×{args.chunk} chunks (`map_blocks`), on a "
        f"`LocalCluster` of {args.workers} worker processes; the Numba twin is benches/dask_numba_kernel.py "
        f"(`@njit(cache=True)` on each function). nvm {nvm.__version__}, {nb}, {os.cpu_count()} CPUs. "
        "Cold: empty cache folder; warm: the same folder, a new cluster. First call and peak RSS per worker "
        "(RSS: the whole worker process, Dask's own ~100 MiB included); compiled/loaded: specializations "
        f"compiled by the worker and loaded from the cache (nvm: engine stats; Numba: the dispatcher's cache misses/hits). `import nvm` and `import numba` are not in the first-call time, which includes computing one chunk (a later call is that alone). "
        f"Load average when it started: {os.getloadavg()[0]:.1f} (the machine is shared; times are indicative).",
        "",
        "| run | ran without error | cache bytes | first call per worker | a later call per worker | peak RSS per worker | compiled / loaded per worker | job wall |",
        "|---|---|---:|---|---|---|---|---:|",
    ]
    for r in rows:
        name = ("nvm" if r["kind"] == "nvm" else nb) + f", {r['phase']}"
        ok = "yes" if r["ok"] else f"no: {r.get('error', 'wrong result')}"
        cl = ", ".join(f"{w.get('compiled', '?')} / {w.get('loaded', '?')}" for w in r.get("workers") or []) or "—"
        wall = f"{r['wall_s']:.2f} s" if "wall_s" in r else "—"
        L.append(f"| {name} | {ok} | {r['cache_bytes']:,} | {fmt_workers(r, 'first_call_s', 1.0, ' s')} | {fmt_workers(r, 'later_call_s', 1.0, ' s')} | {fmt_workers(r, 'peak_rss_mib', 1.0, ' MiB')} | {cl} | {wall} |")
    L.append(END)
    block = "\n".join(L)
    print(block)
    if args.write:
        text = pathlib.Path(args.write).read_text() if os.path.exists(args.write) else ""
        i, j = text.find(BEGIN), text.find(END)
        text = text[:i] + block + text[j + len(END):] if i >= 0 and j >= 0 else text.rstrip("\n") + "\n\n" + block + "\n"
        pathlib.Path(args.write).write_text(text)


if __name__ == "__main__":
    main()
