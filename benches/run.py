#!/usr/bin/env python3
"""nvm benchmark suite: one command, `python3 benches/run.py`.

Builds nvm in release mode, then for each kernel in benches/kernels/ runs the nk
version on nvm and the Python twin (plain CPython for scalar kernels, NumPy for array
kernels) interleaved -- nvm, py, nvm, py, ... -- so machine noise hits both alike.
Keeps the minimum wall time of N repeats of each, checks that both print the same
first line (numbers compared with a relative tolerance), and writes BENCHMARKS.md.

Options:
  --quick        smaller sizes and 3 repeats (a smoke run, ~15 s)
  --repeat N     repeats per kernel and side (default 5; 3 with --quick)
  --out PATH     where to write the report (default: BENCHMARKS.md at the repo root)
  --only NAMES   comma-separated kernel names to run (the report then lists only those)
  --no-build     skip `cargo build --release`
"""

import argparse
import datetime
import math
import os
import platform
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
KERNELS_DIR = os.path.join(HERE, "kernels")
NVM = os.path.join(ROOT, "target", "release", "nvm")

# (name, python flavour, size, quick size, what it exercises)
KERNELS = [
    ("sum_squares", "cpython", 20_000_000, 1_000_000, "i64 for-loop, `s += i*i % 7`"),
    ("float_loop", "cpython", 15_000_000, 1_000_000, "f64 accumulation, mul/add/div + branch"),
    ("fib_rec", "cpython", 32, 24, "recursive fib(n), call-heavy"),
    ("collatz", "cpython", 100_000, 10_000, "while loops, `%`, `//`, branches, calls"),
    ("nested_loops", "cpython", 250, 60, "n x n matmul, explicit loops over 2-D arrays"),
    ("sieve", "cpython", 5_000_000, 500_000, "bool[] stores/loads in while loops"),
    ("array_expr", "numpy", 2_000_000, 300_000, "`a * 2.0 + b` etc. on large f64[], 20x"),
    ("reductions", "numpy", 2_000_000, 300_000, "sum/mean/max/min over a large f64[], 5x"),
]

REL_TOL = 1e-9


def sh(cmd, **kw):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, **kw).stdout.strip()
    except OSError:
        return ""


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def numpy_version():
    try:
        import numpy

        return numpy.__version__
    except ImportError:
        return None


def git_commit():
    rev = sh(["git", "-C", ROOT, "rev-parse", "--short=12", "HEAD"]) or "unknown"
    dirty = sh(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no", "--", "src", "stdlib", "Cargo.toml", "Cargo.lock", "build.rs", "grammar"])
    return rev + (" (+ uncommitted changes in src/stdlib)" if dirty else "")


def run_once(cmd):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    return dt, p.returncode, p.stdout, p.stderr


def first_line(s):
    lines = s.splitlines()
    return lines[0].strip() if lines else ""


def outputs_agree(a, b):
    if a == b:
        return True
    ta, tb = a.split(), b.split()
    if len(ta) != len(tb):
        return False
    for x, y in zip(ta, tb):
        if x == y:
            continue
        try:
            fx, fy = float(x.strip("()[],")), float(y.strip("()[],"))
        except ValueError:
            return False
        if not (math.isclose(fx, fy, rel_tol=REL_TOL, abs_tol=1e-12) or (math.isnan(fx) and math.isnan(fy))):
            return False
    return True


def fmt_time(t):
    return "—" if t is None else f"{t:.3f} s"


def bench(name, flavour, size, repeat):
    nk = os.path.join(KERNELS_DIR, name + ".nk")
    py = os.path.join(KERNELS_DIR, name + ".py")
    nvm_cmd = [NVM, "run", nk, str(size)]
    py_cmd = [sys.executable, py, str(size)]
    nvm_times, py_times = [], []
    nvm_out = py_out = None
    nvm_err = py_err = None
    for _ in range(repeat):
        dt, rc, out, err = run_once(nvm_cmd)
        if rc != 0:
            nvm_err = f"exit {rc}: " + (err.strip().splitlines() or [""])[0]
            nvm_full_err = err
        else:
            nvm_times.append(dt)
            nvm_out = first_line(out)
        dt, rc, out, err = run_once(py_cmd)
        if rc != 0:
            py_err = f"exit {rc}: " + (err.strip().splitlines() or [""])[-1]
        else:
            py_times.append(dt)
            py_out = first_line(out)
        if nvm_err and py_err:
            break
    if nvm_err:
        print(f"    nvm FAILED ({nvm_err})\n{nvm_full_err}", file=sys.stderr)
    if py_err:
        print(f"    python FAILED ({py_err})", file=sys.stderr)
    res = {
        "name": name,
        "flavour": flavour,
        "size": size,
        "nvm": min(nvm_times) if nvm_times and not nvm_err else None,
        "py": min(py_times) if py_times and not py_err else None,
        "nvm_out": nvm_out,
        "py_out": py_out,
        "error": nvm_err or py_err,
    }
    if nvm_out is not None and py_out is not None:
        res["agree"] = outputs_agree(nvm_out, py_out)
    else:
        res["agree"] = None
    return res


def main():
    ap = argparse.ArgumentParser(description="Run the nvm benchmark suite and write BENCHMARKS.md")
    ap.add_argument("--quick", action="store_true", help="small sizes, 3 repeats")
    ap.add_argument("--repeat", type=int, default=None, help="repeats per kernel and side (default 5, 3 with --quick)")
    ap.add_argument("--out", default=os.path.join(ROOT, "BENCHMARKS.md"), help="report path")
    ap.add_argument("--only", default=None, help="comma-separated kernel names")
    ap.add_argument("--no-build", action="store_true", help="skip cargo build --release")
    args = ap.parse_args()
    repeat = args.repeat or (3 if args.quick else 5)
    if repeat < 1:
        ap.error("--repeat must be >= 1")

    if not args.no_build:
        print("building nvm: cargo build --release", flush=True)
        p = subprocess.run(["cargo", "build", "--release"], cwd=ROOT)
        if p.returncode != 0:
            sys.exit("cargo build --release failed")
    if not os.path.exists(NVM):
        sys.exit(f"{NVM} not found (build with `cargo build --release`)")

    npv = numpy_version()
    if npv is None:
        print(
            "NumPy is not importable by " + sys.executable + "; skipping the NumPy kernels.\n"
            "Install it with `python3 -m pip install numpy` (or `apt-get install python3-numpy`).",
            file=sys.stderr,
        )

    kernels = KERNELS
    if args.only:
        wanted = set(args.only.split(","))
        unknown = wanted - {k[0] for k in KERNELS}
        if unknown:
            ap.error("unknown kernel(s): " + ", ".join(sorted(unknown)))
        kernels = [k for k in KERNELS if k[0] in wanted]

    results = []
    skipped = []
    for name, flavour, size, qsize, what in kernels:
        if flavour == "numpy" and npv is None:
            skipped.append(name)
            continue
        n = qsize if args.quick else size
        print(f"  {name:<14} n={n:<10} ", end="", flush=True)
        r = bench(name, flavour, n, repeat)
        r["what"] = what
        results.append(r)
        ratio = f"{r['py'] / r['nvm']:.2f}x" if r["nvm"] and r["py"] else "—"
        status = {True: "ok", False: "MISMATCH", None: "FAILED"}[r["agree"]]
        print(f"nvm {fmt_time(r['nvm'])}  py {fmt_time(r['py'])}  ratio {ratio}  {status}", flush=True)
        if r["agree"] is False:
            print(f"    nvm:    {r['nvm_out']}\n    python: {r['py_out']}", flush=True)

    cmd = "python3 benches/run.py" + "".join(
        a for a in [
            " --quick" if args.quick else "",
            f" --repeat {args.repeat}" if args.repeat else "",
            f" --only {args.only}" if args.only else "",
            " --no-build" if args.no_build else "",
            "" if os.path.abspath(args.out) == os.path.join(ROOT, "BENCHMARKS.md") else f" --out {args.out}",
        ]
    )
    write_report(args.out, cmd, repeat, npv, results, skipped)
    print(f"wrote {args.out}")
    if any(r["agree"] is not True for r in results):
        sys.exit(1)


def write_report(path, cmd, repeat, npv, results, skipped):
    now = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    L = []
    L.append("# nvm benchmarks")
    L.append("")
    L.append("Generated by `benches/run.py`; do not edit by hand, re-run instead.")
    L.append("")
    L.append(f"- Command: `{cmd}`")
    L.append(f"- Date: {now}")
    L.append(f"- Machine: {os.cpu_count()} CPUs (`nproc`: {sh(['nproc']) or '?'}), {cpu_model()}, {platform.system()} {platform.release()}")
    L.append(f"- Python: {platform.python_version()} ({platform.python_implementation()}), NumPy: {npv or 'not installed'}")
    L.append(f"- nvm: git commit {git_commit()}, `cargo build --release`, tier `interp`")
    L.append(f"- Repeats: {repeat} per kernel and side, interleaved (nvm, python, nvm, python, ...); minimum kept")
    L.append("")
    L.append("## Results")
    L.append("")
    L.append("| kernel | size | what it exercises | nvm interp | CPython / NumPy | ratio (py / nvm) | output |")
    L.append("|---|---:|---|---:|---:|---:|---|")
    for r in results:
        py_label = "NumPy" if r["flavour"] == "numpy" else "CPython"
        ratio = f"{r['py'] / r['nvm']:.2f}" if r["nvm"] and r["py"] else "—"
        status = {True: "same", False: "**MISMATCH**", None: "**FAILED**"}[r["agree"]]
        L.append(
            f"| `{r['name']}` | {r['size']:,} | {r['what']} | {fmt_time(r['nvm'])} | "
            f"{fmt_time(r['py'])} ({py_label}) | {ratio} | {status} |"
        )
    if skipped:
        L.append("")
        L.append("Skipped (NumPy not installed): " + ", ".join(f"`{s}`" for s in skipped) + ".")
    bad = [r for r in results if r["agree"] is not True]
    if bad:
        L.append("")
        L.append("Failures and mismatches:")
        L.append("")
        for r in bad:
            if r["error"]:
                L.append(f"- `{r['name']}`: {r['error']}")
            else:
                L.append(f"- `{r['name']}`: nvm printed `{r['nvm_out']}`, Python printed `{r['py_out']}`")
    L.append("")
    L.append("## How to read this")
    L.append("")
    L.append(
        "Each time is the whole-process wall time of one run (`nvm run kernel.nk N` or "
        "`python3 kernel.py N`), so it includes process startup, parsing and compilation "
        "(and, for NumPy, importing NumPy, roughly 0.1 s). It is the minimum over the repeats. "
        "The ratio is Python time / nvm time: above 1 means nvm is faster, below 1 means "
        "Python is faster. Both sides were measured side by side in one run, interleaved, on "
        f"a shared machine ({os.cpu_count()} cores here, other work possibly running), so the ratios are more "
        "trustworthy than the absolute times. Scalar kernels are compared with plain CPython "
        "running the same loops (lists stand in for arrays); array kernels with NumPy running "
        "the same whole-array operations. Each pair prints the same first line, which the "
        "runner checks (numbers to a relative tolerance of 1e-9)."
    )
    L.append("")
    L.append(
        "`reductions` is expected to be slow in this tier: nk's `sum`, `mean`, `max`, `min` "
        "are written in nk in `stdlib/prelude.nk` and run as interpreted loops, while NumPy's "
        "are compiled C."
    )
    L.append("")
    L.append("## Coming with the JIT")
    L.append("")
    L.append(
        "Only the interpreter tier exists today. A `nvm cranelift` column will be added to "
        "this table when the Cranelift JIT tier lands, and Numba (`@njit`) versions of the "
        "kernels will be compared alongside it; the kernels and their sizes are meant to stay "
        "the same so the columns line up."
    )
    L.append("")
    L.append("## Kernels")
    L.append("")
    L.append(
        "Sources are in `benches/kernels/`, one `NAME.nk` + `NAME.py` pair per kernel, each "
        "taking its size as the single argument (`fn main(n: i64)` / `sys.argv[1]`). "
        "Run one by hand with `target/release/nvm run benches/kernels/NAME.nk N`. "
        "`--quick` uses smaller sizes for a smoke test; its numbers are dominated by startup."
    )
    L.append("")
    with open(path, "w") as f:
        f.write("\n".join(L))


if __name__ == "__main__":
    main()
