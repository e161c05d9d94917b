#!/usr/bin/env python3
"""nvm benchmark suite: one command, `python3 benches/run.py`.

Builds nvm in release mode, then for each kernel in benches/kernels/ runs, interleaved
(jit, auto, interp, python, numba, jit, auto, ...) so machine noise hits all alike:

  nvm jit      target/release/nvm run --no-cache --tier=jit --stats=json NAME.nk N
  nvm auto     target/release/nvm run --no-cache --tier=auto --stats=json NAME.nk N   (the default tier)
  nvm interp   target/release/nvm run --no-cache --tier=interp NAME.nk N
  python       python3 NAME.py N            (plain CPython, or NumPy for array kernels)
  numba        python3 NAME.py --numba N    (the same Python with numba.njit, cache=False)

plus, not shown as a column of the first table, the steady state of each: `nvm run
--cache-dir D --tier=jit --stats=json --repeat 4 NAME.nk N` with D filled by one cold run
first (a warm run: nothing parsed, checked or compiled; `main` called four times in the
process, each call timed in-process: `main_ms`), and `python3 NAME.py --numba
--compile-time N`, which calls the kernel four times in one process and reports Numba's
compile time and the best of the three warm calls on stderr. On both sides the warm call is
the best of calls 2-4 (a single sub-millisecond call is at the mercy of this machine's
noise). Keeps the minimum wall time of N repeats of each, checks that all print the same first line
(numbers compared with a relative tolerance), and writes BENCHMARKS.md.

A configuration that fails (an nvm tier that does not exist yet, a crash, a timeout)
shows "error" in its cell and is not run again for that kernel; the others go on. If
`import numba` fails, the Numba column says "not installed" (this script installs
nothing: `python3 -m pip install numba` adds it).

Options:
  --quick        smaller sizes and 3 repeats (a smoke run, ~4 min; the full run ~10 min)
  --repeat N     repeats per kernel and configuration (default 5; 3 with --quick)
  --out PATH     where to write the report (default: BENCHMARKS.md at the repo root)
  --only NAMES   comma-separated kernel names to run (the report then lists only those)
  --timeout S    seconds before one run counts as failed (default 600)
  --no-build     skip `cargo build --release`
  --list         print the kernels (name, size, quick size, kind) and exit
"""

import argparse
import datetime
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
KERNELS_DIR = os.path.join(HERE, "kernels")
NVM = os.path.join(ROOT, "target", "release", "nvm")

# (name, python flavour, kind, size, quick size, what it exercises)
# kind "loops": scalar loops; kind "array": whole-array operations or library routines.
# The steady-state target (TARGET_NUMBA) applies to both kinds.
# Warm calls per process on each side (after the first); the steady state is their best.
WARM_CALLS = 3
KERNELS = [
    ("sum_squares", "cpython", "loops", 20_000_000, 1_000_000, "i64 for-loop, `s += i*i % 7`"),
    ("float_loop", "cpython", "loops", 15_000_000, 1_000_000, "f64 accumulation, mul/add/div + branch"),
    ("fib_rec", "cpython", "loops", 32, 24, "recursive fib(n), call-heavy"),
    ("collatz", "cpython", "loops", 100_000, 10_000, "while loops, `%`, `//`, branches, calls"),
    ("sieve", "cpython", "loops", 5_000_000, 500_000, "bool[] stores/loads in while loops"),
    ("mandelbrot", "cpython", "loops", 600, 100, "n x n grid, f64 while loop (<= 100 iterations), a call per point"),
    ("nbody", "cpython", "loops", 200_000, 10_000, "5-body simulation, n steps, f64[] loads/stores, sqrt"),
    ("caller_callee", "cpython+numpy", "loops", 3_000, 300, "the user report's program: caller calls callee(i), arrays + loops + sum"),
    ("matmul_loops", "cpython", "loops", 250, 60, "n x n matmul, explicit triple loop over 2-D arrays"),
    ("jacobi", "cpython", "loops", 400, 60, "2-D Jacobi stencil, 200 sweeps of an n x n grid (4 neighbours per point)"),
    ("histogram", "cpython", "loops", 3_000_000, 300_000, "numba-examples' histogram: a compute_bin call per value, `hist[bin] += 1` into i64[]"),
    ("pairwise", "cpython", "loops", 1_500, 200, "pairwise distances of n 3-D points, a 2-D loop nest writing an n x n f64[,]"),
    ("prefix_sum", "cpython", "loops", 1_000_000, 100_000, "a scan (cumulative sum) of an f64[] written as a loop, 10x"),
    ("lu", "cpython", "loops", 600, 30, "LU decomposition without pivoting of a 48 x 48 diagonally dominant matrix, n times"),
    ("lennard_jones", "cpython", "loops", 2_500, 300, "numba-examples' lennard_jones: every pair of n atoms, row views `cluster[i]` passed to a call"),
    ("mergesort", "cpython", "loops", 100_000, 10_000, "Numba's recursive mergesort: slices copied at every level, on an LCG f64[]"),
    ("matmul_dot", "numpy", "array", 250, 60, "the same matrices multiplied with `dot` (nk stdlib / NumPy BLAS)"),
    ("array_expr", "numpy", "array", 2_000_000, 300_000, "`a * 2.0 + b` etc. on large f64[], 20x"),
    ("reductions", "numpy", "array", 2_000_000, 300_000, "sum/mean/max/min over a large f64[], 5x"),
    ("float32", "numpy", "array", 2_000_000, 300_000, "f32[] `x * 2.5 + y` 20x, then a sequential f32 sum"),
]

FLAVOUR_LABEL = {"cpython": "CPython", "numpy": "NumPy", "cpython+numpy": "CPython+NumPy"}

# The timed configurations, in the order they run within a round and appear in the table.
CONFIGS = [("jit", "nvm jit"), ("auto", "nvm auto"), ("interp", "nvm interp"), ("py", "CPython / NumPy"), ("numba", "Numba")]
NVM_CONFIGS = ("jit", "auto", "interp")
NVM_EMPTY = "nvm (empty program)"
NVM_EMPTY_WARM = "nvm (empty program, warm)"

# Targets for the native tier (see "How to read this" in the report).
TARGET_NUMBA = 1.2  # nvm warm call <= 1.2 x Numba's warm call, every kernel (issue 15)
TARGET_COMPILE = 10.0  # Numba compile time >= 10 x nvm's
TARGET_AUTO = 2.0  # nvm auto time <= 2 x nvm jit's

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


def module_version(name):
    """The module's version if `import name` works here, else None (and why, on stderr)."""
    try:
        module = __import__(name)
        return module.__version__
    except Exception as e:  # ImportError, or a broken install raising something else
        print(f"{name} is not usable by {sys.executable}: {type(e).__name__}: {e}", file=sys.stderr)
        return None


def git_commit():
    rev = sh(["git", "-C", ROOT, "rev-parse", "--short=12", "HEAD"]) or "unknown"
    dirty = sh(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no", "--", "src", "stdlib", "Cargo.toml", "Cargo.lock", "build.rs", "grammar"])
    return rev + (" (+ uncommitted changes in src/stdlib)" if dirty else "")


def run_once(cmd, timeout):
    """(wall seconds, error or None, stdout, stderr) of one whole-process run."""
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"timeout after {timeout} s", "", ""
    except OSError as e:
        return None, str(e), "", ""
    dt = time.perf_counter() - t0
    if p.returncode == 0:
        return dt, None, p.stdout, p.stderr
    why = f"killed by signal {-p.returncode}" if p.returncode < 0 else f"exit {p.returncode}"
    return None, why + error_line(p.stderr), p.stdout, p.stderr


def error_line(stderr):
    """The line of stderr that says what went wrong: a Python traceback's last line, else the first."""
    lines = [l.strip() for l in stderr.splitlines() if l.strip()]
    if not lines:
        return ""
    python = lines[0].startswith("Traceback") and ":" in lines[-1]
    return ": " + (lines[-1] if python else lines[0])


def first_line(s):
    lines = s.splitlines()
    return lines[0].strip() if lines else ""


def json_stats(stderr):
    """The last line of stderr that starts with `{`, parsed; {} if none or not JSON."""
    for line in reversed(stderr.splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                return {}
    return {}


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


def fmt_ms(ms):
    return "—" if ms is None else f"{ms:.1f} ms"


def ratio(a, b):
    return a / b if a is not None and b else None


def fmt_ratio(r):
    return "—" if r is None else f"{r:.2f}"


def commands(name, n, numba, cache_dir=None):
    nk = os.path.join(KERNELS_DIR, name + ".nk")
    py = os.path.join(KERNELS_DIR, name + ".py")
    cmds = {
        "jit": [NVM, "run", "--no-cache", "--tier=jit", "--stats=json", nk, str(n)],
        "auto": [NVM, "run", "--no-cache", "--tier=auto", "--stats=json", nk, str(n)],
        "interp": [NVM, "run", "--no-cache", "--tier=interp", nk, str(n)],
        "py": [sys.executable, py, str(n)],
    }
    if cache_dir is not None:
        # The steady state: the code heap filled by one cold run (see `bench`), so a run
        # parses, checks and compiles nothing.
        # `main` 1 + WARM_CALLS times, as Numba's twin calls its kernel: the best warm call
        # is the steady state both sides compare.
        calls = str(1 + WARM_CALLS)
        cmds["warm"] = [NVM, "run", "--cache-dir", cache_dir, "--tier=jit", "--stats=json", "--repeat", calls, nk, str(n)]
    if numba:
        cmds["numba"] = [sys.executable, py, "--numba", str(n)]
        cmds["numba_compile"] = [sys.executable, py, "--numba", "--compile-time", str(n)]
    return cmds


def bench(name, n, repeat, numba, timeout):
    """Run every configuration `repeat` times, interleaved; one result dict per configuration."""
    with tempfile.TemporaryDirectory(prefix="nvm-bench-heap-") as cache_dir:
        return bench_in(name, n, repeat, numba, timeout, cache_dir)


def bench_in(name, n, repeat, numba, timeout, cache_dir):
    cmds = commands(name, n, numba, cache_dir)
    # Fill the code heap and the run image for the warm runs.
    run_once(cmds["warm"], timeout)
    res = {key: {"times": [], "out": None, "error": None, "stats": []} for key in cmds}
    for _ in range(repeat):
        for key, cmd in cmds.items():
            r = res[key]
            if r["error"]:
                continue  # failed once: don't spend time on it again
            dt, err, out, errout = run_once(cmd, timeout)
            if err:
                r["error"] = err
                continue
            r["times"].append(dt)
            r["out"] = first_line(out)
            r["stats"].append(json_stats(errout))
    for r in res.values():
        r["time"] = min(r["times"]) if r["times"] and not r["error"] else None
    return res


def summarize(name, flavour, kind, n, what, res, nvm_startup):
    """The numbers the report shows for one kernel, from bench()'s raw results."""
    row = {"name": name, "flavour": flavour, "kind": kind, "size": n, "what": what}
    for key, _ in CONFIGS:
        r = res.get(key)
        row[key] = r["time"] if r else None
        row[key + "_error"] = r["error"] if r else None
    # Output check: every configuration that ran against Python's line (or interp's).
    ref_key = "py" if res["py"]["out"] is not None else "interp"
    ref = res[ref_key]["out"]
    row["reference"] = ref
    row["mismatch"] = {
        key: r["out"] for key, r in res.items() if r["out"] is not None and ref is not None and not outputs_agree(r["out"], ref)
    }
    row["checked"] = ref is not None and any(r["out"] is not None for k, r in res.items() if k != ref_key)
    # Compile time and warm run time. nvm: from --stats=json of each jit run (min of the
    # repeats); the "run" part is that run's wall time minus the time the program waited for
    # its native code (`compile_wait_ms`: compile threads work ahead, so their Cranelift
    # time, `compile_ms`, overlaps the run) and minus the startup of an empty nvm program,
    # to compare with Numba's in-process warm call.
    # Numba: compile = first call minus the best warm call.
    jit = res["jit"]
    compile_ms = [s.get("compile_ms") for s in jit["stats"] if isinstance(s.get("compile_ms"), (int, float))]
    waited_ms = [s.get("compile_wait_ms", s.get("compile_ms")) for s in jit["stats"]]
    waited_ms = [w for w in waited_ms if isinstance(w, (int, float))]
    row["nvm_compile_ms"] = min(compile_ms) if compile_ms and not jit["error"] else None
    if row["nvm_compile_ms"] is not None and len(waited_ms) == len(jit["times"]):
        row["nvm_exec_cold"] = max(min(t - c / 1e3 for t, c in zip(jit["times"], waited_ms)) - (nvm_startup or 0.0), 0.0)
    else:
        row["nvm_exec_cold"] = None
    # The steady state: in a warm run (nothing parsed, checked or compiled: every function's
    # code from the code heap), `main`'s best warm call (calls 2..), timed in-process
    # (`main_ms`), as Numba's warm call is its kernel's best call after the first in the
    # process. The first call of the
    # same run is shown beside it: a fresh process's first touch of its memory (page faults)
    # and caches, which Numba's warm call does not pay (ANALYSIS.md).
    warm = res.get("warm")
    warm_ok = warm and not warm["error"] and warm["stats"] and all(s.get("compiled") == 0 for s in warm["stats"])
    calls = [s.get("main_ms") for s in warm["stats"]] if warm_ok else []
    warm_ok = warm_ok and all(
        isinstance(c, list) and len(c) == 1 + WARM_CALLS and all(isinstance(t, (int, float)) for t in c)
        for c in calls
    )
    if warm_ok and row["nvm_compile_ms"] is not None:
        row["nvm_first_call"] = min(c[0] for c in calls) / 1e3
        row["nvm_exec"] = min(min(c[1:]) for c in calls) / 1e3
    else:
        row["nvm_first_call"] = row["nvm_exec"] = None
    row["jit_compiled"] = jit["stats"][-1].get("compiled") if jit["stats"] else None
    row["jit_interpreted"] = jit["stats"][-1].get("interpreted") if jit["stats"] else None
    auto = res["auto"]
    row["auto_compiled"] = auto["stats"][-1].get("compiled") if auto["stats"] and not auto["error"] else None
    nc = res.get("numba_compile")
    row["numba_compile_error"] = nc["error"] if nc else None
    stats = nc["stats"] if nc and not nc["error"] else []
    cms = [s["numba_compile_ms"] for s in stats if "numba_compile_ms" in s]
    rms = [s["numba_run_ms"] for s in stats if "numba_run_ms" in s]
    row["numba_compile_ms"] = min(cms) if cms else None
    row["numba_exec"] = min(rms) / 1e3 if rms else None
    # A configuration that printed the wrong answer has no time worth comparing.
    for key in row["mismatch"]:
        if key in row:
            row[key] = None
    if "auto" in row["mismatch"]:
        row["auto_compiled"] = None
    if "jit" in row["mismatch"] or "warm" in row["mismatch"]:
        row["nvm_compile_ms"] = row["nvm_exec"] = row["nvm_exec_cold"] = row["nvm_first_call"] = None
    if "numba_compile" in row["mismatch"]:
        row["numba_compile_ms"] = row["numba_exec"] = None
    return row


def measure_startup(repeat, numba, timeout):
    """Whole-process time of doing nothing: nvm on an empty main, python3 (+ imports)."""
    with tempfile.NamedTemporaryFile("w", suffix=".nk", delete=False) as f:
        f.write("fn main(n: i64) { }\n")
        empty = f.name
    heap = tempfile.mkdtemp(prefix="nvm-bench-heap-")
    warm_empty = [NVM, "run", "--cache-dir", heap, "--tier=jit", "--stats=json", empty, "0"]
    run_once(warm_empty, timeout)
    probes = {
        NVM_EMPTY: [NVM, "run", "--no-cache", "--tier=interp", empty, "0"],
        NVM_EMPTY_WARM: warm_empty,
        "python3": [sys.executable, "-c", "pass"],
        "python3 + import numpy": [sys.executable, "-c", "import numpy"],
    }
    if numba:
        probes["python3 + import numba"] = [sys.executable, "-c", "import numba"]
    best = {}
    try:
        for _ in range(repeat):
            for label, cmd in probes.items():
                dt, err, _, _ = run_once(cmd, timeout)
                if dt is not None:
                    best[label] = min(dt, best.get(label, dt))
    finally:
        os.unlink(empty)
        shutil.rmtree(heap, ignore_errors=True)
    return best


def main():
    ap = argparse.ArgumentParser(description="Run the nvm benchmark suite and write BENCHMARKS.md")
    ap.add_argument("--quick", action="store_true", help="small sizes, 3 repeats")
    ap.add_argument("--repeat", type=int, default=None, help="repeats per kernel and configuration (default 5, 3 with --quick)")
    ap.add_argument("--out", default=os.path.join(ROOT, "BENCHMARKS.md"), help="report path")
    ap.add_argument("--only", default=None, help="comma-separated kernel names")
    ap.add_argument("--timeout", type=float, default=600, help="seconds before one run counts as failed")
    ap.add_argument("--no-build", action="store_true", help="skip cargo build --release")
    ap.add_argument("--list", action="store_true", help="print the kernels and their sizes, then exit")
    args = ap.parse_args()
    if args.list:
        print(f"{'kernel':<14} {'size':>10} {'quick':>10}  kind")
        for name, _, kind, size, qsize, _ in KERNELS:
            print(f"{name:<14} {size:>10} {qsize:>10}  {kind}")
        return
    repeat = args.repeat or (3 if args.quick else 5)
    if repeat < 1:
        ap.error("--repeat must be >= 1")

    kernels = KERNELS
    if args.only:
        wanted = set(args.only.split(","))
        unknown = wanted - {k[0] for k in KERNELS}
        if unknown:
            ap.error("unknown kernel(s): " + ", ".join(sorted(unknown)))
        kernels = [k for k in KERNELS if k[0] in wanted]

    if not args.no_build:
        print("building nvm: cargo build --release", flush=True)
        p = subprocess.run(["cargo", "build", "--release"], cwd=ROOT)
        if p.returncode != 0:
            sys.exit("cargo build --release failed")
    if not os.path.exists(NVM):
        sys.exit(f"{NVM} not found (build with `cargo build --release`)")

    versions = {"numpy": module_version("numpy"), "numba": None}
    if versions["numpy"] is None:
        print(
            "Skipping the kernels that need NumPy. Install it with `python3 -m pip install numpy`.",
            file=sys.stderr,
        )
    else:
        versions["numba"] = module_version("numba")
        if versions["numba"] is None:
            print("The Numba column will say 'not installed'. Add it with `python3 -m pip install numba`.", file=sys.stderr)
    numba = versions["numba"] is not None

    print("process startup ... ", end="", flush=True)
    startup = measure_startup(repeat, numba, args.timeout)
    print(", ".join(f"{k} {fmt_time(v)}" for k, v in startup.items()), flush=True)

    results = []
    skipped = []
    for name, flavour, kind, size, qsize, what in kernels:
        if flavour != "cpython" and versions["numpy"] is None:
            skipped.append(name)
            continue
        n = qsize if args.quick else size
        print(f"  {name:<14} n={n:<10} ", end="", flush=True)
        res = bench(name, n, repeat, numba, args.timeout)
        row = summarize(name, flavour, kind, n, what, res, startup.get(NVM_EMPTY))
        results.append(row)
        cells = "  ".join(f"{key} {fmt_time(row[key]) if row[key] else cell_error(row, key, numba)}" for key, _ in CONFIGS)
        status = "MISMATCH " + ",".join(row["mismatch"]) if row["mismatch"] else ("ok" if row["checked"] else "FAILED")
        print(f"{cells}  {status}", flush=True)
        for key in list(res):
            if res[key]["error"]:
                print(f"    {key} failed: {res[key]['error']}", flush=True)
        for key, out in row["mismatch"].items():
            print(f"    {key}: {out}\n    expected: {row['reference']}", flush=True)

    cmd = "python3 benches/run.py" + "".join(
        a for a in [
            " --quick" if args.quick else "",
            f" --repeat {args.repeat}" if args.repeat else "",
            f" --only {args.only}" if args.only else "",
            " --no-build" if args.no_build else "",
            "" if os.path.abspath(args.out) == os.path.join(ROOT, "BENCHMARKS.md") else f" --out {args.out}",
        ]
    )
    write_report(args.out, cmd, repeat, versions, startup, results, skipped, args.quick)
    print(f"wrote {args.out}")
    nvm_failed = any(r[k + "_error"] for r in results for k in NVM_CONFIGS)
    if any(r["mismatch"] or not r["checked"] for r in results) or nvm_failed:
        sys.exit(1)


def cell_error(row, key, numba):
    if key == "numba" and not numba:
        return "not installed"
    if key in row["mismatch"]:
        return "wrong output"
    return "error" if row[key + "_error"] else "—"


def steady_ratio(row):
    """nvm's warm call over Numba's warm call (the steady-state target's measure), or None."""
    return ratio(row["nvm_exec"], row["numba_exec"])


def first_call_ratio(row):
    """nvm's first call in a fresh process (warm code heap) over Numba's warm call, or None."""
    return ratio(row.get("nvm_first_call"), row["numba_exec"])


def steady_verdict(row):
    """`met` / `not met` against TARGET_NUMBA, or "—" when a number is missing."""
    v = steady_ratio(row)
    if v is None:
        return "—"
    return "met" if v <= TARGET_NUMBA else "not met"


def verdicts(results, quick):
    """One honest sentence per target, from the measured numbers."""
    out = []

    def judge(rows, value, ok, describe):
        measured = [(r, value(r)) for r in rows if value(r) is not None]
        if not measured:
            return "not measured (no kernel has both numbers)."
        bad = [f"`{r['name']}` ({describe(v)})" for r, v in measured if not ok(v)]
        missing = len(rows) - len(measured)
        s = f"met on {len(measured) - len(bad)} of {len(measured)} kernels measured"
        s += f" ({missing} without both numbers)" if missing else ""
        return s + ("; not met on " + ", ".join(bad) + "." if bad else ".")

    out.append(
        f"- **Native tier within {TARGET_NUMBA}x of Numba's steady state on every kernel** "
        "(nvm's warm call vs Numba's warm call, each the best of the kernel's calls 2-4 in its process, the `verdict` column of the second table): "
        + judge(results, steady_ratio, lambda v: v <= TARGET_NUMBA, lambda v: f"nvm {v:.2f}x Numba's time")
        + " For comparison, nvm's first call in a fresh process (warm code heap, cold memory) vs Numba's warm call: "
        + judge(results, first_call_ratio, lambda v: v <= TARGET_NUMBA, lambda v: f"nvm {v:.2f}x Numba's time")
        + " Whole process (numba/jit column, which charges Numba its import and compile): "
        + judge(results, lambda r: ratio(r["jit"], r["numba"]), lambda v: v <= TARGET_NUMBA, lambda v: f"nvm {v:.2f}x Numba's time")
    )
    out.append(
        f"- **Compile time at least {TARGET_COMPILE:.0f}x lower than Numba's**: "
        + judge(results, lambda r: ratio(r["numba_compile_ms"], r["nvm_compile_ms"]), lambda v: v >= TARGET_COMPILE, lambda v: f"only {v:.1f}x lower")
    )
    out.append(
        f"- **auto within {TARGET_AUTO:.0f}x of jit**: "
        + judge(results, lambda r: ratio(r["auto"], r["jit"]), lambda v: v <= TARGET_AUTO, lambda v: f"auto {v:.2f}x jit's time")
    )
    if quick:
        out.append("- This was a `--quick` run: the sizes are too small for these verdicts to mean much.")
    return out


HEAP_BEGIN, HEAP_END = "<!-- heap:begin -->", "<!-- heap:end -->"
ENGINE_BEGIN, ENGINE_END = "<!-- engine:begin -->", "<!-- engine:end -->"
WARM_BEGIN, WARM_END = "<!-- warm:begin -->", "<!-- warm:end -->"
# The Python package's figures (benches/python_overhead.py, benches/dask_compare.py).
PYTHON_BEGIN, PYTHON_END = "<!-- python:begin -->", "<!-- python:end -->"
# Compiling at scale (benches/scale.py).
SCALE_BEGIN, SCALE_END = "<!-- scale:begin -->", "<!-- scale:end -->"


def kept_block(path, begin=HEAP_BEGIN, end=HEAP_END):
    """A block another benchmark wrote into the report at `path` (markers included), or
    None: benches/heap.py's (heap markers) or `cargo bench --bench engine`'s."""
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return None
    i = text.find(begin)
    j = text.find(end, i) if i >= 0 else -1
    return text[i : j + len(end)] if i >= 0 and j >= 0 else None


def write_report(path, cmd, repeat, versions, startup, results, skipped, quick):
    heap = kept_block(path)  # kept: re-inserted before "How to read this"
    engine = kept_block(path, ENGINE_BEGIN, ENGINE_END)
    warm = kept_block(path, WARM_BEGIN, WARM_END)
    python = kept_block(path, PYTHON_BEGIN, PYTHON_END)
    scale = kept_block(path, SCALE_BEGIN, SCALE_END)
    now = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    L = []
    L.append("# nvm benchmarks")
    L.append("")
    L.append("Generated by `benches/run.py`; do not edit by hand, re-run instead.")
    L.append("")
    L.append(f"- Command: `{cmd}`")
    L.append(f"- Date: {now}")
    L.append(f"- Machine: {os.cpu_count()} CPUs (`nproc`: {sh(['nproc']) or '?'}), {cpu_model()}, {platform.system()} {platform.release()}")
    L.append(
        f"- Python: {platform.python_version()} ({platform.python_implementation()}), "
        f"NumPy: {versions['numpy'] or 'not installed'}, Numba: {versions['numba'] or 'not installed'}"
    )
    L.append(f"- nvm: git commit {git_commit()}, `cargo build --release`, tiers `jit`, `auto`, `interp`")
    L.append(f"- Repeats: {repeat} per kernel and configuration, interleaved (jit, auto, interp, Python, Numba, jit, ...); minimum kept")
    if startup:
        L.append("- Process startup alone: " + ", ".join(f"{k} {fmt_time(v)}" for k, v in startup.items()))
    L.append("")
    L.append("## Results")
    L.append("")
    L.append("Whole-process wall time, minimum of the repeats. Ratios are the first time over nvm jit's: above 1, nvm jit is faster.")
    L.append("")
    L.append("| kernel | size | nvm jit | nvm auto | nvm interp | CPython / NumPy | Numba | interp/jit | python/jit | numba/jit | auto/jit | output |")
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    numba = versions["numba"] is not None
    for r in results:
        cells = []
        for key, _ in CONFIGS:
            cell = fmt_time(r[key]) if r[key] is not None else cell_error(r, key, numba)
            if key == "py" and r[key] is not None:
                cell += f" ({FLAVOUR_LABEL[r['flavour']]})"
            cells.append(cell)
        ratios = [fmt_ratio(ratio(r[k], r["jit"])) for k in ("interp", "py", "numba", "auto")]
        if r["mismatch"]:
            status = "**MISMATCH** (" + ", ".join(r["mismatch"]) + ")"
        else:
            status = "same" if r["checked"] else "**FAILED**"
        L.append(f"| `{r['name']}` | {r['size']:,} | " + " | ".join(cells + ratios) + f" | {status} |")
    L.append("")
    L.append("## Compile time and steady-state speed")
    L.append("")
    L.append(
        "nvm: `compile_ms` and the function counts from `--stats=json` of the `--tier=jit` runs. "
        f"\"nvm warm call\", the steady state: in a warm run (`nvm run --cache-dir D --tier=jit --repeat {1 + WARM_CALLS}`, the code heap "
        f"filled by one cold run before, so the run parses, checks and compiles nothing), the best of calls 2-{1 + WARM_CALLS} of `main`, timed in-process "
        "(`main_ms` of `--stats=json`), as Numba's warm call is the best of its kernel's calls after the first in its process. \"nvm first call\": the "
        "first call of `main` in that same fresh process (its memory not yet touched: page faults, cold caches). "
        "\"cold run\": a jit run's wall time minus the time it waited for native code "
        "(`compile_wait_ms`) and minus the startup of an empty program, which still holds the compile threads' "
        "competition for the cores and parsing and checking. Numba: `NAME.py --numba --compile-time N` calls the kernel "
        f"{1 + WARM_CALLS} times in one process; compile = first call minus the best warm call, run = the best warm call. The verdict "
        "compares the two warm calls."
    )
    L.append("")
    L.append(
        "| kernel | jit: compiled / interpreted fns | nvm compile | Numba compile | Numba / nvm compile | nvm cold run | nvm first call "
        f"| nvm warm call | Numba warm call | nvm / Numba warm call | verdict (<= {TARGET_NUMBA}x) | nvm first call / Numba | auto: compiled fns |"
    )
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|")
    for r in results:
        fns = "—" if r["jit_compiled"] is None else f"{r['jit_compiled']} / {r['jit_interpreted'] if r['jit_interpreted'] is not None else '?'}"
        numba_compile = fmt_ms(r["numba_compile_ms"]) if numba else "not installed"
        if numba and r["numba_compile_error"]:
            numba_compile = "error"
        L.append(
            f"| `{r['name']}` | {fns} | {fmt_ms(r['nvm_compile_ms'])} | {numba_compile} | "
            f"{fmt_ratio(ratio(r['numba_compile_ms'], r['nvm_compile_ms']))} | "
            f"{fmt_ms(r['nvm_exec_cold'] * 1e3 if r.get('nvm_exec_cold') is not None else None)} | "
            f"{fmt_ms(r['nvm_first_call'] * 1e3 if r.get('nvm_first_call') is not None else None)} | "
            f"{fmt_ms(r['nvm_exec'] * 1e3 if r['nvm_exec'] is not None else None)} | "
            f"{fmt_ms(r['numba_exec'] * 1e3 if r['numba_exec'] is not None else None)} | "
            f"{fmt_ratio(steady_ratio(r))} | {steady_verdict(r)} | {fmt_ratio(first_call_ratio(r))} | "
            f"{'—' if r['auto_compiled'] is None else r['auto_compiled']} |"
        )
    if skipped:
        L.append("")
        L.append("Skipped (NumPy not installed): " + ", ".join(f"`{s}`" for s in skipped) + ".")
    # One line per distinct failure (a missing tier fails every kernel the same way).
    failures = {}
    for r in results:
        for key, title in CONFIGS + [("numba_compile", "Numba compile-time run")]:
            err = r["numba_compile_error"] if key == "numba_compile" else r[key + "_error"]
            if err and not (key == "numba_compile" and r["numba_error"]):
                failures.setdefault((title, err), []).append(r["name"])
    problems = []
    for (title, err), names in failures.items():
        where = "every kernel" if len(names) == len(results) > 1 else ", ".join(f"`{n}`" for n in names)
        problems.append(f"- {title}, {where}: {err}")
    for r in results:
        for key, out in r["mismatch"].items():
            problems.append(f"- `{r['name']}`, {dict(CONFIGS).get(key, key)} printed `{out}`, expected `{r['reference']}`")
    if problems:
        L.append("")
        L.append("Failures and mismatches:")
        L.append("")
        L.extend(problems)
    L.append("")
    L.append("## Targets")
    L.append("")
    L.extend(verdicts(results, quick))
    analysis = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ANALYSIS.md")
    if os.path.exists(analysis):
        # Hand-written: why a target is not met, and what would meet it.
        L.append("")
        with open(analysis) as f:
            L.append(f.read().rstrip())
    L.append("")
    if heap:
        L.append(heap)
        L.append("")
    if engine:
        L.append(engine)
        L.append("")
    if warm:
        L.append(warm)
        L.append("")
    if python:
        L.append(python)
        L.append("")
    if scale:
        L.append(scale)
        L.append("")
    L.append("## How to read this")
    L.append("")
    L.append(
        "Each time in the first table is the whole-process wall time of one run, so it includes "
        "process startup, parsing, compilation and, for Python, importing NumPy or Numba (see "
        "\"Process startup alone\" above). It is the minimum over the "
        "repeats. All configurations were measured side by side in one run, interleaved, on "
        f"a shared machine ({os.cpu_count()} cores here, other work possibly running), so the ratios "
        "are more trustworthy than the absolute times."
    )
    L.append("")
    L.append(
        "The columns: **nvm jit** compiles every function with Cranelift before running it "
        "(`--tier=jit`; every run uses `--no-cache`, so each compiles from scratch, as Numba with `cache=False`); **nvm auto** is the default, which starts in the interpreter and compiles "
        "what runs hot (`--tier=auto`); **nvm interp** only interprets (`--tier=interp`); "
        "**CPython / NumPy** is the Python twin as a Python programmer would write it: plain "
        "CPython for the scalar kernels (lists stand in for arrays), NumPy whole-array operations "
        "for the array kernels, and for `caller_callee` the user report's NumPy-plus-loops code; "
        "**Numba** is the same Python with the kernel functions under `numba.njit` (`cache=False`, "
        "so every run compiles; arrays instead of lists). The ratios divide each time by nvm jit's: "
        "interp/jit is what the native tier buys over the interpreter, numba/jit above 1 means nvm "
        "is faster than Numba, auto/jit is what tiering up late costs."
    )
    L.append("")
    L.append(
        f"The targets (issue 15): nvm's native tier within {TARGET_NUMBA}x of Numba on every kernel "
        "(judged on steady-state time, nvm's warm call vs Numba's warm call, since whole-process time "
        f"charges Numba for its import and compile), nvm's compile time at least {TARGET_COMPILE:.0f}x lower than Numba's (from "
        f"`--stats=json`; Numba's is measured as first call minus warm call), and `auto` within "
        f"{TARGET_AUTO:.0f}x of `jit`. The verdicts above are computed from this run's numbers. "
        "Each kernel's configurations print the same first line, which the runner checks "
        "(numbers to a relative tolerance of 1e-9)."
    )
    L.append("")
    L.append(
        "`matmul_loops` and `matmul_dot` multiply the same matrices, with hand-written loops and "
        "with `dot`: nk's `dot` (and `sum`, `mean`, `max`, `min` in `reductions`) are written in nk "
        "in `stdlib/prelude.nk`, so they run as interpreted loops in the interpreter tier and as "
        "Cranelift code in the native tier, while NumPy's are compiled C and BLAS. Under Numba, "
        "`np.dot` needs SciPy (`python3 -m pip install scipy`); without it that cell is an error."
    )
    L.append("")
    L.append("## Kernels")
    L.append("")
    L.append(
        "Sources are in `benches/kernels/`, one `NAME.nk` + `NAME.py` pair per kernel, each "
        "taking its size as the single argument (`fn main(n: i64)` / `sys.argv[1]`); `NAME.py "
        "--numba N` is the Numba version and `benches/kernels/twin.py` holds what the Python "
        "twins share. Run one by hand with `target/release/nvm run benches/kernels/NAME.nk N`. "
        "`--quick` uses smaller sizes for a smoke test; its numbers are dominated by startup. "
        "Numba is optional: `python3 -m pip install numba` (and `scipy` for `np.dot`)."
    )
    L.append("")
    L.append("| kernel | kind | what it exercises |")
    L.append("|---|---|---|")
    for r in results:
        L.append(f"| `{r['name']}` | {r['kind']} | {r['what']} |")
    L.append("")
    with open(path, "w") as f:
        f.write("\n".join(L))


if __name__ == "__main__":
    main()
