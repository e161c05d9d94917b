#!/usr/bin/env python3
"""`prange` loops on several threads: nvm against Numba's `parallel=True`, one command.

    python3 benches/parallel.py [--threads 2] [--repeat 5] [--no-build] [--write]

For each kernel in benches/parallel/ (NAME.nk with `main(n, reps)`, NAME.py with a
`@njit(parallel=True)` twin):

  nvm    the time of one call of the kernel at 1 thread and at --threads threads:
         `nvm run --no-cache --tier=jit --threads T NAME.nk n reps`, run with `reps` and
         with 0 reps; (t(reps) - t(0)) / reps, so process start, compilation and setup
         cancel out (wall time, the minimum of --repeat interleaved runs).
  numba  the same kernel in-process: numba.set_num_threads(T), one warm-up call, then the
         minimum wall time of `reps` calls (its import and compile times are not counted).

Prints a table (per-call times, each side's speedup from 1 to T threads, nvm / Numba at T
threads) and, with --write, puts it into benches/ANALYSIS.md and BENCHMARKS.md between the
markers `<!-- parallel:begin -->` and `<!-- parallel:end -->` (ANALYSIS.md is the copy
`benches/run.py` keeps when it writes BENCHMARKS.md again).
"""
import argparse
import os
import platform
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DIR = os.path.join(HERE, "parallel")

# (name, n, reps, what it is)
KERNELS = [
    ("mandelbrot_rows", 800, 6, "compute-bound: rows of a Mandelbrot set (<= 200 iterations per point)"),
    ("pairwise_rows", 2000, 20, "compute-bound: 2000 x 2000 distances of 3-D points (sqrt per pair), one store each"),
    ("stencil_rows", 2000, 100, "memory-bound: one Jacobi step on a 2000 x 2000 grid (5 loads, 1 store per point)"),
]

HARNESS = r"""
import sys, time, importlib
sys.path.insert(0, sys.argv[1])
import numba
name, n, reps, threads = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
numba.set_num_threads(threads)
f = importlib.import_module(name).kernel(n)
f()
best = float("inf")
for _ in range(reps):
    t = time.perf_counter(); f(); best = min(best, time.perf_counter() - t)
print(best)
"""


def wall(cmd):
    t = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr}")
    return time.perf_counter() - t, p.stdout


def nvm_per_call(nvm, name, n, reps, threads, repeat):
    path = os.path.join(DIR, name + ".nk")
    base = [nvm, "run", "--no-cache", "--tier=jit", "--threads", str(threads), path, str(n)]
    full, zero = [], []
    out = None
    for _ in range(repeat):
        t, out = wall(base + [str(reps)])
        full.append(t)
        zero.append(wall(base + ["0"])[0])
    return max(min(full) - min(zero), 0.0) / reps, out.strip()


def numba_per_call(name, n, reps, threads):
    p = subprocess.run(
        [sys.executable, "-c", HARNESS, DIR, name, str(n), str(reps), str(threads)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    if p.returncode != 0:
        return None
    return float(p.stdout.strip())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--write", action="store_true")
    opts = ap.parse_args()
    nvm = os.path.join(ROOT, "target", "release", "nvm")
    if not opts.no_build:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    T = opts.threads
    try:
        import numba
        nb = f"Numba {numba.__version__}"
    except ImportError:
        nb = None
    rows = []
    for name, n, reps, what in KERNELS:
        s1, out1 = nvm_per_call(nvm, name, n, reps, 1, opts.repeat)
        sT, outT = nvm_per_call(nvm, name, n, reps, T, opts.repeat)
        b1 = numba_per_call(name, n, reps, 1) if nb else None
        bT = numba_per_call(name, n, reps, T) if nb else None
        ms = lambda x: "n/a" if x is None else f"{x * 1e3:.1f}"
        ratio = lambda a, b: "n/a" if not a or not b else f"{a / b:.2f}x"
        rows.append(
            f"| {name} | {ms(s1)} | {ms(sT)} | **{ratio(s1, sT)}** | {ms(b1)} | {ms(bT)} | {ratio(b1, bT)} | {ratio(sT, bT)} |"
        )
        print(rows[-1], f"  ({what}; nvm prints {outT!r}, 1 thread {out1!r})", flush=True)
    cores = os.cpu_count()
    text = "\n".join(
        [
            f"`python3 benches/parallel.py --threads {T}` on {platform.machine()}, {cores} cores, "
            f"{nb or 'Numba not installed'}. Time of one call in ms (nvm: whole-run difference "
            f"over reps; Numba: in-process warm calls); speedup = 1 thread / {T} threads.",
            "",
            f"| kernel | nvm 1 thr | nvm {T} thr | nvm speedup | Numba 1 thr | Numba {T} thr | Numba speedup | nvm / Numba at {T} |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
            *rows,
            "",
            *[f"- {name}: {what} (n = {n})" for name, n, _, what in KERNELS],
        ]
    )
    print()
    print(text)
    if opts.write:
        b, e = "<!-- parallel:begin -->", "<!-- parallel:end -->"
        for path in (os.path.join(HERE, "ANALYSIS.md"), os.path.join(ROOT, "BENCHMARKS.md")):
            doc = open(path).read()
            if b in doc and e in doc:
                doc = doc[: doc.index(b) + len(b)] + "\n" + text + "\n" + doc[doc.index(e):]
                open(path, "w").write(doc)
            else:
                print(f"{path}: no {b} ... {e} markers; not written", file=sys.stderr)


if __name__ == "__main__":
    main()
