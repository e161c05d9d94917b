#!/usr/bin/env python3
"""`a @ b` of two n x n f64 matrices: nvm against NumPy, one command.

    python3 benches/matmul_numpy.py [--nvm PATH] [--sizes 250,1000] [--repeat 7] [--threads 1]

Both sides are measured the same way: a program that makes two random matrices and
multiplies them `reps` times (nvm: `nvm run --no-cache --tier=jit`; NumPy: `python3 -c`),
run with `reps` and with 0; the time of one product is (t(reps) - t(0)) / reps, so
process start, compilation and setup cancel out. t is the child's CPU time (user +
system, from wait4), which a loaded machine inflates far less than wall time; the
minimum over `--repeat` interleaved runs is reported (wall-time minima alongside).
`--threads N` sets OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / MKL_NUM_THREADS for NumPy
(nvm's GEMM, the `gemm` crate called with `Parallelism::None`, is single-threaded).
Prints NumPy's BLAS (from numpy.show_config) and one line per size.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

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
import sys, numpy as np
n, reps = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(0)
a = rng.random((n, n)); b = rng.random((n, n))
t = 0.0
for r in range(reps):
    c = a @ b
    t += c[r % n, 0]
print(t)
"""


def measure(cmd, env):
    """(CPU seconds, wall seconds) of one run of `cmd`."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, env=env)
    _, status, ru = os.wait4(p.pid, 0)
    w = time.perf_counter() - t
    if status != 0:
        sys.exit(f"failed ({status}): {' '.join(cmd)}")
    return ru.ru_utime + ru.ru_stime, w


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
            sides = {
                "nvm": [opts.nvm, "run", "--no-cache", "--tier=jit", prog, str(n)],
                "numpy": [sys.executable, script, str(n)],
            }
            cpu = {k: [] for k in sides}
            wl = {k: [] for k in sides}
            for _ in range(opts.repeat):
                for k, cmd in sides.items():
                    c1, w1 = measure(cmd + [str(reps)], env)
                    c0, w0 = measure(cmd + ["0"], env)
                    cpu[k].append((c1 - c0) / reps)
                    wl[k].append((w1 - w0) / reps)
            nv, nt = min(cpu["nvm"]), min(cpu["numpy"])
            print(
                f"n={n:5}  CPU: nvm {nv * 1e3:9.3f} ms  numpy {nt * 1e3:9.3f} ms  ratio {nv / nt:5.2f}"
                f"  ({2 * n**3 / nv / 1e9:.1f} vs {2 * n**3 / nt / 1e9:.1f} GFLOP/s)"
                f" | wall: nvm {min(wl['nvm']) * 1e3:.3f} ms  numpy {min(wl['numpy']) * 1e3:.3f} ms"
                f"  ({reps} products per run, min of {opts.repeat})"
            )


if __name__ == "__main__":
    main()
