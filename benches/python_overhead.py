"""The Python -> nk call overhead, next to Numba's dispatcher, in one process.

    python3 benches/python_overhead.py [--calls 100000] [--repeat 7] [--write BENCHMARKS.md]

Needs the package (pip install ./python) and, for the comparison, numba. Each figure is
the best of --repeat rounds of --calls warm calls (compiled, caches filled), in µs per
call: a trivial function of two ints, and a function given a 10^6-element float64 array
(it reads one element, so the figure is the cost of passing the array: nvm lends it
without copying, Numba unboxes it). A plain Python function is the floor.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np

import nvm

SRC = """
fn add(a: i64, b: i64) -> i64 { return a + b; }
fn first(x: f64[]) -> f64 { return x[0]; }
fn total(x: f64[]) -> f64 { let s = 0.0; for i in 0..len(x) { s += x[i]; } return s; }
"""

BEGIN, END = "<!-- python-overhead:begin -->", "<!-- python-overhead:end -->"


def per_call(f, args, calls, repeat):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(calls):
            f(*args)
        best = min(best, time.perf_counter() - t0)
    return best / calls * 1e6


def replace_block(path, block):
    text = open(path).read() if os.path.exists(path) else ""
    i, j = text.find(BEGIN), text.find(END)
    if i >= 0 and j >= 0:
        text = text[:i] + block + text[j + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    with open(path, "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--write", metavar="REPORT", help="put the table into REPORT between the python-overhead markers")
    args = ap.parse_args()
    x = np.random.default_rng(0).random(10**6)
    rows = []

    def py_add(a, b):
        return a + b

    def py_first(a):
        return a[0]

    rows.append(("plain Python function", per_call(py_add, (1, 2), args.calls, args.repeat), per_call(py_first, (x,), args.calls, args.repeat)))
    for tier in ("jit", "interp"):
        m = nvm.compile(SRC, tier=tier, cache_dir=False)
        assert m.add(1, 2) == 3 and m.first(x) == x[0]
        rows.append((f"nvm (tier {tier})", per_call(m.add, (1, 2), args.calls, args.repeat), per_call(m.first, (x,), args.calls, args.repeat)))
    try:
        import numba

        @numba.njit
        def nb_add(a, b):
            return a + b

        @numba.njit
        def nb_first(a):
            return a[0]

        assert nb_add(1, 2) == 3 and nb_first(x) == x[0]
        rows.append((f"Numba {numba.__version__} dispatcher", per_call(nb_add, (1, 2), args.calls, args.repeat), per_call(nb_first, (x,), args.calls, args.repeat)))
    except ImportError:
        rows.append(("Numba (not installed)", float("nan"), float("nan")))
    cmd = "python3 benches/python_overhead.py" + (f" --write {args.write}" if args.write else "")
    lines = [
        BEGIN,
        "### Python → nk call overhead",
        "",
        f"Command: `{cmd}` ({args.calls:,} warm calls per round, best of {args.repeat}; "
        f"Python {platform.python_version()}, NumPy {np.__version__}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f} at the start: the machine is shared). "
        "µs per call from Python, in one process.",
        "",
        "| callee | `add(1, 2)` (two ints) | `first(x)`, x a 10^6-element float64 array |",
        "|---|---:|---:|",
    ]
    for name, a, b in rows:
        lines.append(f"| {name} | {a:.3f} µs | {b:.3f} µs |")
    lines.append(END)
    block = "\n".join(lines)
    print(block)
    if args.write:
        replace_block(args.write, block)


if __name__ == "__main__":
    sys.exit(main())
