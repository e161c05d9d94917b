#!/usr/bin/env python3
"""`a @ b` of two n x n f64 matrices: nvm against NumPy, one command.

    python3 benches/matmul_numpy.py [--nvm PATH] [--sizes 250,1000] [--repeat 7] [--threads 1]

Both sides are timed in-process, as Numba's warm call is in `run.py`: nvm runs a program
that makes two random matrices and multiplies them `reps` times, with `--repeat 2`, and the
second call of `main` (`main_ms` of `--stats=json`: code and memory warm) with `reps`
products less the same with 0, over `reps`, is one product; NumPy's script times its loop
of `reps` products with `time.perf_counter` after one product to warm up. The minimum over
`--repeat` interleaved runs is reported. (The script used to subtract whole-process CPU
times; NumPy's start-up varies by more than 64 products at n = 250, which once gave a
negative time.)
`--threads N` sets OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / MKL_NUM_THREADS for NumPy
(nvm's GEMM, the `gemm` crate called with `Parallelism::None`, is single-threaded).
Prints NumPy's BLAS (from numpy.show_config) and one line per size.
"""
import argparse
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from run import json_stats  # noqa: E402

NK = """
fn main(n: i64, reps: i64) {
    let a = rand((n, n));
    let b = rand((n, n));
    let t = 0.0;
    for r in 0..reps {
        let c = a @ b;
        t += c[r % n, 0];
    }
    print(t);
}
"""

NUMPY = r"""
import json, sys, time, numpy as np
n, reps = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(0)
a = rng.random((n, n)); b = rng.random((n, n))
t = float((a @ b)[0, 0])
start = time.perf_counter()
for r in range(reps):
    c = a @ b
    t += c[r % n, 0]
elapsed = time.perf_counter() - start
print(t)
print(json.dumps({"loop_s": elapsed}), file=sys.stderr)
"""


def run_json(cmd, env):
    """The JSON object that one run of `cmd` prints last on stderr (nvm's stats, the NumPy
    script's timing)."""
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr}")
    return json_stats(p.stderr) or sys.exit(f"no JSON line in: {p.stderr}")


def blas_name():
    try:
        import numpy as np

        cfg = np.show_config(mode="dicts")
        b = cfg["Build Dependencies"]["blas"]
        return f"{b.get('name')} {b.get('version')}"
    except Exception as e:  # an older NumPy without mode="dicts"
        return f"unknown ({type(e).__name__})"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nvm", default=os.path.join(ROOT, "target", "release", "nvm"))
    ap.add_argument("--sizes", default="250,1000")
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--threads", type=int, default=1)
    opts = ap.parse_args()
    env = dict(os.environ)
    for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[k] = str(opts.threads)
    print(f"NumPy BLAS: {blas_name()}, {opts.threads} thread(s); nvm: {opts.nvm}")
    with tempfile.TemporaryDirectory() as tmp:
        prog = os.path.join(tmp, "matmul.nk")
        with open(prog, "w") as f:
            f.write(NK)
        script = os.path.join(tmp, "matmul_np.py")
        with open(script, "w") as f:
            f.write(NUMPY)
        for n in (int(s) for s in opts.sizes.split(",")):
            reps = max(3, int(2e9 / (2 * n**3)))  # ~2 GFLOP per timed run
            nvm = [opts.nvm, "run", "--no-cache", "--tier=jit", "--repeat", "2", "--stats=json", prog, str(n)]
            numpy = [sys.executable, script, str(n), str(reps)]
            per = {"nvm": [], "numpy": []}
            for _ in range(opts.repeat):
                # `main`'s second call (`--repeat 2`), with `reps` products and with none.
                with_reps, without = (run_json(nvm + [str(r)], env)["main_ms"][1] / 1e3 for r in (reps, 0))
                per["nvm"].append((with_reps - without) / reps)
                per["numpy"].append(run_json(numpy, env)["loop_s"] / reps)
            nv, nt = min(per["nvm"]), min(per["numpy"])
            print(
                f"n={n:5}  nvm {nv * 1e3:9.3f} ms  numpy {nt * 1e3:9.3f} ms  ratio {nv / nt:5.2f}"
                f"  ({2 * n**3 / nv / 1e9:.1f} vs {2 * n**3 / nt / 1e9:.1f} GFLOP/s;"
                f" {reps} products per run, min of {opts.repeat})"
            )


if __name__ == "__main__":
    main()
