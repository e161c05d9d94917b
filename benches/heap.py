#!/usr/bin/env python3
"""Code heap benchmark: layered call graphs, nvm's code heap vs Numba's `cache=True`.

    python3 benches/heap.py                 full run (~10 min on 2 cores, nearly all of it Numba compiling)
    python3 benches/heap.py --no-numba      nvm only (~1 min)
    python3 benches/heap.py --quick         fewer graphs, Numba on one small graph (< 1 min)

Generates the same program in nk and in Python + Numba: F functions in L layers. Every
function does a little array work with its own constants (`zeros`, a fill loop, `full`, two
`sum`s) and adds the weighted f64 results of its callees in the layer below; layer 0 holds
the leaves, which call nothing, and the top layer is the single function `top`, which the
script calls once and prints. Every function below the top is called from exactly 3 call
sites (with the arguments n, n + 1, n + 2), so a graph of F functions has 3 (F - 1) call
sites whatever its depth: with equally wide layers each function calls 3 functions of the
layer below, and `top` calls all of its layer. The expected result is computed here in
plain Python (sequential sums, as nk's), and nvm's and Numba's printed numbers are checked
against it (relative tolerance 1e-9).

Each graph runs in fresh temporary folders, one run at a time:

  nvm    cold: `nvm run --cache-dir DIR --tier=jit --stats=json prog.nk N` on an empty DIR
               (`--tier=jit`: every function is compiled and written to the heap), repeated,
               each time on a new empty DIR;
         warm: the same command on the filled DIR, repeated (each must report "compiled":0);
         also `nvm check prog.nk` (parse and type check only), for the warm-run breakdown.
  Numba  cold: `python3 prog.py N` with an empty NUMBA_CACHE_DIR (all functions
               `@numba.njit(cache=True)`); warm: the same again on the filled NUMBA_CACHE_DIR.

Wall time is the whole process, timed from here (minimum over the runs); peak RSS is the
child's own maximum resident set (wait4's ru_maxrss; largest over the runs); heap / cache
bytes are the total size of the files in the cache folder after the cold run. Series:
(a) 61 functions at growing depth, (b) depth 4 with a growing function count, (c) the
warm run of the 1,000-function program of (b).

The report goes into BENCHMARKS.md between `<!-- heap:begin -->` and `<!-- heap:end -->`
(inserted before `## How to read this` the first time) and into benches/heap_results.md;
benches/run.py keeps that block when it rewrites BENCHMARKS.md. Numba is optional and never
installed here (`python3 -m pip install numba`); without it its columns say "not measured".

Options:
  --nvm PATH             nvm binary (default target/release/nvm)
  --build                `cargo build --release` first (with the default --nvm)
  --quick                depths 2,4,6; counts 21,61,1000; 1 cold and 3 warm runs; Numba only
                         on 21 functions at depth 4
  --no-numba             skip Numba even if it is installed
  --numba-depths LIST    depths at which the 61-function graph runs under Numba (default 2,4,6,8,12)
  --numba-counts LIST    function counts at depth 4 that run under Numba (default 21,61,201)
  --depths LIST          depths of series (a) (default 2,4,6,8,12)
  --counts LIST          function counts of series (b) (default 21,61,201,1000)
  --n N                  the argument passed to top: the array length (default 8)
  --cold-repeat R        nvm cold runs per graph (default 3)
  --warm-repeat R        nvm warm runs per graph (default 5)
  --numba-warm R         Numba warm runs per graph (default 2; one cold run)
  --timeout S            seconds before one run counts as failed (default 300)
  --keep DIR             write the programs and caches under DIR and keep them
  --out PATH             the report file (default BENCHMARKS.md; benches/heap_results.md too)
  --no-write             print the report, write nothing

Exit status 1 if any run failed or printed a wrong number.
"""

import argparse
import datetime
import json
import math
import os
import platform
import random
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_NVM = os.path.join(ROOT, "target", "release", "nvm")
BEGIN, END = "<!-- heap:begin -->", "<!-- heap:end -->"
ANCHOR = "## How to read this"

FIXED_F = 61  # series (a): function count
FIXED_L = 4  # series (b): depth
BIG_F = 1000  # series (c)
CALLS_IN = 3  # call sites that call each function below the top
REL_TOL = 1e-9

# Targets (see the report's "Targets" list).
FLAT_TOL = 0.10  # heap bytes across depths within 10%
LINEAR_TOL = 0.10  # heap bytes within 10% of a straight line in F
NUMBA_BYTES_RATIO = 20.0  # at 61 functions, 6 layers: heap <= Numba cache / 20
NUMBA_BYTES_AT = (FIXED_F, 6)
WARM_MS = 20.0  # 1,000-function warm run: wall < 20 ms
WARM_MIB = 30.0  # ... and peak RSS < 30 MiB
COLD_RATIO = 100.0  # nvm cold run >= 100x faster than Numba's cold run


# ---------------------------------------------------------------------------------------
# The call graph and its two programs


def fmt_const(x):
    """A float literal valid in nk and Python (repr always has '.' or an exponent)."""
    return repr(float(x))


class Graph:
    """F functions in L layers: layers[k] is the list of layer k's function names (layer
    L-1 is ["top"]); work[name] = (slope, offset, fill, weight), the constants of its array
    work; calls[name] = [(callee, weight, argument offset)], a negative weight subtracts."""

    def __init__(self, F, L, seed=0):
        if L < 2 or F < L:
            raise ValueError(f"need depth >= 2 and at least one function per layer (F={F}, L={L})")
        self.F, self.L = F, L
        rng = random.Random(1_000_003 * F + L + seed)
        # Layer L-1 is `top` alone; F-1 functions spread over layers 0..L-2, extra ones to the leaves.
        rest, lower = F - 1, L - 1
        sizes = [rest // lower + (1 if k < rest % lower else 0) for k in range(lower)] + [1]
        self.layers = []
        for k, m in enumerate(sizes):
            self.layers.append(["top"] if k == L - 1 else [f"f{k}_{j}" for j in range(m)])
        self.work, self.calls = {}, {}
        for k, layer in enumerate(self.layers):
            for name in layer:
                self.work[name] = (
                    round(rng.uniform(0.01, 0.99), 6),
                    round(rng.uniform(0.1, 2.0), 6),
                    round(rng.uniform(0.1, 3.0), 6),
                    round(rng.uniform(0.2, 0.9), 6),
                )
                self.calls[name] = []
        # Every function below the top is called from exactly CALLS_IN call sites, with the
        # arguments n, n + 1, n + 2: the CALLS_IN * |layer k-1| call sites are dealt out in
        # consecutive runs to the functions of layer k (3 distinct callees each when the
        # layers are equally wide; `top` calls every function of the layer below, each
        # CALLS_IN times). So a graph of F functions has CALLS_IN * (F - 1) call sites
        # whatever its depth: at fixed F, depth is the only thing that changes.
        for k in range(1, L):
            below, here = self.layers[k - 1], self.layers[k]
            m, h = len(below), len(here)
            slots = CALLS_IN * m
            start = 0
            for j, name in enumerate(here):
                c = slots // h + (1 if j < slots % h else 0)
                for s in range(start, start + c):
                    w = round(rng.uniform(0.7, 1.3) / c, 6)
                    if s % 3 == 2:
                        w = -round(w * 0.1, 6)  # a small subtracted term: no cancellation
                    self.calls[name].append((below[s % m], w, s // m))
                start += c

    def names(self):
        return [name for layer in self.layers for name in layer]

    def dynamic_calls(self):
        """How many calls one run of top makes (the call tree's size)."""
        count = {}
        for layer in self.layers:
            for name in layer:
                count[name] = 1 + sum(count[c] for c, _, _ in self.calls[name])
        return count["top"]

    def expected(self, n):
        """top(n) in plain Python: elementwise as nk, sums left to right as nk's `sum`."""
        memo = {}

        def value(name, n):
            key = (name, n)
            if key in memo:
                return memo[key]
            c1, c2, c3, c4 = self.work[name]
            sa = 0.0
            for i in range(n):
                sa += i * c1 + c2
            sb = 0.0
            for _ in range(n):
                sb += c3
            v = sa + c4 * sb
            for callee, w, off in self.calls[name]:
                term = abs(w) * value(callee, n + off)
                v = v - term if w < 0 else v + term
            memo[key] = v
            return v

        return value("top", n)

    def _calls(self, name):
        """` + w * callee(n + k)` terms: the function's callees, combined with its own weights."""
        parts = []
        for callee, w, off in self.calls[name]:
            arg = "n" if off == 0 else f"n + {off}"
            parts.append(f" {'-' if w < 0 else '+'} {fmt_const(abs(w))} * {callee}({arg})")
        return "".join(parts)

    def nk(self):
        out = [f"# Generated by benches/heap.py: {self.F} functions in {self.L} layers."]
        for name in self.names():
            c1, c2, c3, c4 = map(fmt_const, self.work[name])
            out.append(
                f"fn {name}(n: i64) -> f64 {{\n"
                f"    let a = zeros(n);\n"
                f"    for i in 0..n {{\n"
                f"        a[i] = i * {c1} + {c2};\n"
                f"    }}\n"
                f"    let b = full(n, {c3});\n"
                f"    return sum(a) + {c4} * sum(b){self._calls(name)};\n"
                f"}}"
            )
        out.append("fn main(n: i64) {\n    print(top(n));\n}\n")
        return "\n".join(out)

    def python(self):
        out = [
            f"# Generated by benches/heap.py: {self.F} functions in {self.L} layers.",
            "import sys",
            "import numba",
            "import numpy as np",
            "",
        ]
        for name in self.names():
            c1, c2, c3, c4 = map(fmt_const, self.work[name])
            out.append(
                "@numba.njit(cache=True)\n"
                f"def {name}(n):\n"
                f"    a = np.zeros(n)\n"
                f"    for i in range(n):\n"
                f"        a[i] = i * {c1} + {c2}\n"
                f"    b = np.full(n, {c3})\n"
                f"    return np.sum(a) + {c4} * np.sum(b){self._calls(name)}\n"
            )
        out.append('if __name__ == "__main__":\n    print(repr(float(top(int(sys.argv[1])))))\n')
        return "\n".join(out)

    def edges(self):
        return sum(len(c) for c in self.calls.values())



# ---------------------------------------------------------------------------------------
# Running and measuring


def run_measured(cmd, env=None, timeout=300.0):
    """Run cmd to completion: (wall s, peak RSS KiB, error or None, stdout, stderr).
    The RSS is the child's own (wait4), so each run is measured on its own."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        try:
            p = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        except OSError as e:
            return None, None, str(e), "", ""
        timed_out = False
        try:
            fd = os.pidfd_open(p.pid)
        except (AttributeError, OSError):
            fd = None
        if fd is not None:
            try:
                ready, _, _ = select.select([fd], [], [], timeout)
            finally:
                os.close(fd)
            if not ready:
                timed_out = True
                p.send_signal(signal.SIGKILL)  # not reaped yet: the pid is still this child
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
    rss = ru.ru_maxrss  # KiB on Linux
    if timed_out:
        return None, rss, f"timeout after {timeout:.0f} s", stdout, stderr
    if p.returncode != 0:
        why = f"killed by signal {-p.returncode}" if p.returncode < 0 else f"exit {p.returncode}"
        lines = [l.strip() for l in stderr.splitlines() if l.strip() and not l.startswith("{")]
        return None, rss, why + (": " + lines[-1][:200] if lines else ""), stdout, stderr
    return wall, rss, None, stdout, stderr


def json_stats(stderr):
    for line in reversed(stderr.splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                return {}
    return {}


def folder_bytes(path):
    """(total bytes, file count) of the files under path."""
    total = count = 0
    for dirpath, _, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(dirpath, f))
                count += 1
            except OSError:
                pass
    return total, count


def agrees(out, expected):
    try:
        got = float(out.strip().splitlines()[0])
    except (ValueError, IndexError):
        return False
    return math.isclose(got, expected, rel_tol=REL_TOL, abs_tol=1e-12)


def bench_nvm(nvm, graph, n, workdir, cold_repeat, warm_repeat, timeout):
    """Cold runs (each on an empty heap), then warm runs on the last cold run's heap."""
    prog = os.path.join(workdir, "prog.nk")
    with open(prog, "w") as f:
        f.write(graph.nk())
    expected = graph.expected(n)
    r = {"errors": [], "mismatch": [], "expected": expected}
    heap = os.path.join(workdir, "nvm-heap")
    cmd = [nvm, "run", "--cache-dir", heap, "--tier=jit", "--stats=json", prog, str(n)]
    colds = []
    for _ in range(cold_repeat):
        shutil.rmtree(heap, ignore_errors=True)
        os.makedirs(heap)
        wall, rss, err, out, errout = run_measured(cmd, timeout=timeout)
        if err:
            r["errors"].append("cold: " + err)
            return r
        if not agrees(out, expected):
            r["mismatch"].append(f"cold printed {out.strip()!r}, expected {expected!r}")
        colds.append((wall, rss, json_stats(errout), folder_bytes(heap)))
    r["cold_wall"] = min(c[0] for c in colds)
    r["cold_rss"] = max(c[1] for c in colds)
    stats = [c[2] for c in colds]
    r["compiled"] = stats[-1].get("compiled")
    cms = [s["compile_ms"] for s in stats if isinstance(s.get("compile_ms"), (int, float))]
    r["compile_ms"] = min(cms) if cms else None
    r["heap_bytes"], r["heap_files"] = colds[-1][3]
    if len({c[3] for c in colds}) != 1:
        r["errors"].append("heap size differs between cold runs: " + ", ".join(str(c[3][0]) for c in colds))
    if not isinstance(r["compiled"], int) or r["compiled"] < graph.F:
        r["errors"].append(f"cold run compiled {r['compiled']} specializations, fewer than the {graph.F} functions")
    warms = []
    for _ in range(warm_repeat):
        wall, rss, err, out, errout = run_measured(cmd, timeout=timeout)
        if err:
            r["errors"].append("warm: " + err)
            return r
        if not agrees(out, expected):
            r["mismatch"].append(f"warm printed {out.strip()!r}, expected {expected!r}")
        s = json_stats(errout)
        if s.get("compiled") != 0:
            r["errors"].append(f"warm run compiled {s.get('compiled')} functions (expected 0)")
        warms.append((wall, rss, s))
    r["warm_wall"] = min(w[0] for w in warms)
    r["warm_rss"] = max(w[1] for w in warms)
    r["warm_wall_median"] = sorted(w[0] for w in warms)[len(warms) // 2]
    best = min(warms, key=lambda w: w[0])[2]  # the fastest warm run's own numbers
    r["loaded"] = best.get("loaded")
    r["warm_stats"] = best
    if folder_bytes(heap) != (r["heap_bytes"], r["heap_files"]):
        r["errors"].append("the warm runs changed the heap")
    # The front end alone (parse + type check), to see what a warm run spends outside the heap.
    checks = []
    for _ in range(min(3, warm_repeat)):
        wall, _, err, _, _ = run_measured([nvm, "check", prog], timeout=timeout)
        if wall is not None:
            checks.append(wall)
    r["check_wall"] = min(checks) if checks else None
    return r


def bench_numba(graph, n, workdir, warm_repeat, timeout):
    """One cold run (empty NUMBA_CACHE_DIR), then warm runs on the cache it wrote."""
    prog = os.path.join(workdir, "prog.py")
    with open(prog, "w") as f:
        f.write(graph.python())
    expected = graph.expected(n)
    cache = os.path.join(workdir, "numba-cache")
    shutil.rmtree(cache, ignore_errors=True)
    os.makedirs(cache)
    env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONDONTWRITEBYTECODE="1")
    cmd = [sys.executable, prog, str(n)]
    r = {"errors": [], "mismatch": [], "expected": expected}
    wall, rss, err, out, _ = run_measured(cmd, env=env, timeout=timeout)
    if err:
        r["errors"].append("cold: " + err)
        return r
    if not agrees(out, expected):
        r["mismatch"].append(f"cold printed {out.strip()!r}, expected {expected!r}")
    r["cold_wall"], r["cold_rss"] = wall, rss
    r["cache_bytes"], r["cache_files"] = folder_bytes(cache)
    walls, rsss = [], []
    for _ in range(warm_repeat):
        wall, rss, err, out, _ = run_measured(cmd, env=env, timeout=timeout)
        if err:
            r["errors"].append("warm: " + err)
            return r
        if not agrees(out, expected):
            r["mismatch"].append(f"warm printed {out.strip()!r}, expected {expected!r}")
        walls.append(wall)
        rsss.append(rss)
    r["warm_wall"], r["warm_rss"] = min(walls), max(rsss)
    after = folder_bytes(cache)[0]
    if after != r["cache_bytes"]:
        r["note"] = f"cache grew to {after:,} bytes on the warm run (recompiled?)"
    return r


def startup(nvm, numba, timeout, repeat=5):
    """Whole-process wall time and RSS of doing nothing: nvm on an empty main; python3 + imports."""
    best = {}
    with tempfile.TemporaryDirectory(prefix="nvm-heapbench-") as d:
        empty = os.path.join(d, "empty.nk")
        with open(empty, "w") as f:
            f.write("fn main(n: i64) { }\n")
        probes = {"nvm (empty program)": [nvm, "run", "--no-cache", "--tier=jit", empty, "0"]}
        if numba:
            probes["python3 -c 'import numba, numpy'"] = [sys.executable, "-c", "import numba, numpy"]
        for _ in range(repeat):
            for label, cmd in probes.items():
                wall, rss, err, _, _ = run_measured(cmd, timeout=timeout)
                if wall is not None:
                    w, m = best.get(label, (wall, rss))
                    best[label] = (min(w, wall), max(m, rss))
    return best


def numba_version():
    """{"numba": ..., "numpy": ...} if `import numba` works for this python3, else None."""
    try:
        p = subprocess.run(
            [sys.executable, "-c", "import numba, numpy; print(numba.__version__, numpy.__version__)"],
            capture_output=True,
            text=True,
            timeout=120,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if p.returncode != 0:
        last = (p.stderr.strip().splitlines() or ["?"])[-1]
        print(f"Numba is not usable by {sys.executable} ({last}); its columns will say 'not measured'.", file=sys.stderr)
        return None
    numba_v, numpy_v = p.stdout.split()
    return {"numba": numba_v, "numpy": numpy_v}


# ---------------------------------------------------------------------------------------
# The report


def sh(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True).stdout.strip()
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


def git_commit():
    rev = sh(["git", "-C", ROOT, "rev-parse", "--short=12", "HEAD"]) or "unknown"
    dirty = sh(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no", "--", "src", "stdlib", "Cargo.toml", "Cargo.lock", "build.rs", "grammar"])
    return rev + (" + uncommitted changes in src/stdlib" if dirty else "")


def cranelift_version():
    try:
        with open(os.path.join(ROOT, "Cargo.lock")) as f:
            lines = f.read().splitlines()
        for i, line in enumerate(lines):
            if line.strip() == 'name = "cranelift-codegen"':
                return lines[i + 1].split('"')[1]
    except (OSError, IndexError):
        pass
    return "?"


def size(b):
    if b is None:
        return "—"
    if b < 1024 * 1024:
        return f"{b / 1024:,.1f} KiB"
    return f"{b / 1048576:,.2f} MiB"


def mib(kib):
    return "—" if kib is None else f"{kib / 1024:.1f} MiB"


def secs(t):
    if t is None:
        return "—"
    return f"{t * 1e3:.1f} ms" if t < 1 else f"{t:.2f} s"


def times(x):
    return "—" if x is None else f"{x:,.0f}x" if x >= 10 else f"{x:.1f}x"


def ratio(a, b):
    """a_dict[a_key] / b_dict[b_key] for two (result dict, key) pairs, or None if either is missing."""
    (da, ka), (db, kb) = a, b
    if not da or not db or da.get(ka) is None or not db.get(kb):
        return None
    return da[ka] / db[kb]


class Report:
    def __init__(self, results, graphs, numba_on):
        self.results, self.graphs, self.numba_on = results, graphs, numba_on

    def nvm(self, key):
        return self.results.get(key, {}).get("nvm")

    def numba(self, key):
        return self.results.get(key, {}).get("numba")

    def cell(self, r, key, fmt, is_numba=False):
        if is_numba and not self.numba_on:
            return "not measured"
        if r is None:
            return "—"
        if r.get(key) is not None:
            return fmt(r[key])
        if any("timeout" in e for e in r["errors"]):
            return "timeout"
        return "error" if r["errors"] or r["mismatch"] else "—"

    HEAD = [
        "| functions | layers | calls per run | nvm heap | per function | nvm compiled / loaded | nvm compile | nvm cold | nvm warm "
        "| nvm peak RSS cold / warm | Numba cache | Numba cold | Numba warm | Numba peak RSS cold / warm | cache / heap | Numba cold / nvm cold |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def row(self, key):
        F, L = key
        nv, nb = self.nvm(key), self.numba(key)
        per_fn = nv["heap_bytes"] / F if nv and nv.get("heap_bytes") is not None else None
        c = self.cell
        return (
            f"| {F:,} | {L} | {self.graphs[key].dynamic_calls():,} | {c(nv, 'heap_bytes', size)} | "
            f"{'—' if per_fn is None else f'{per_fn:,.0f} B'} | {c(nv, 'compiled', str)} / {c(nv, 'loaded', str)} | "
            f"{c(nv, 'compile_ms', lambda x: f'{x:,.0f} ms')} | {c(nv, 'cold_wall', secs)} | {c(nv, 'warm_wall', secs)} | "
            f"{c(nv, 'cold_rss', mib)} / {c(nv, 'warm_rss', mib)} | "
            f"{c(nb, 'cache_bytes', size, True)} | {c(nb, 'cold_wall', secs, True)} | {c(nb, 'warm_wall', secs, True)} | "
            f"{c(nb, 'cold_rss', mib, True)} / {c(nb, 'warm_rss', mib, True)} | "
            f"{times(ratio((nb, 'cache_bytes'), (nv, 'heap_bytes')))} | {times(ratio((nb, 'cold_wall'), (nv, 'cold_wall')))} |"
        )

    def table(self, keys):
        return self.HEAD + [self.row(k) for k in keys if k in self.results]

    # -- verdicts --------------------------------------------------------------------

    def flat(self, depths):
        keys = [(FIXED_F, L) for L in depths]
        got = [(k[1], self.nvm(k)["heap_bytes"]) for k in keys if self.nvm(k) and self.nvm(k).get("heap_bytes")]
        title = f"**Heap bytes flat in depth (within {FLAT_TOL * 100:.0f}%)**"
        if len(got) < 2:
            return f"- {title}: not measured (fewer than 2 depths)."
        lo, hi = min(b for _, b in got), max(b for _, b in got)
        spread = hi / lo - 1
        verdict = "**met**" if spread <= FLAT_TOL else f"**not met** (spread {spread * 100:.1f}%, over the {FLAT_TOL * 100:.0f}% allowed)"
        s = (
            f"- {title}: {verdict}. {FIXED_F} functions at depths {', '.join(str(L) for L, _ in got)}: "
            f"{size(lo)} to {size(hi)}, max/min = {hi / lo:.3f}."
        )
        nb = [(k[1], self.numba(k)["cache_bytes"]) for k in keys if self.numba(k) and self.numba(k).get("cache_bytes")]
        if len(nb) >= 2:
            s += (
                f" Numba's cache for the same graphs: {', '.join(f'{size(b)} at depth {L}' for L, b in nb)} "
                f"({nb[-1][1] / nb[0][1]:.1f}x from depth {nb[0][0]} to {nb[-1][0]})."
            )
        return s

    def linear(self, counts):
        got = [(F, self.nvm((F, FIXED_L))["heap_bytes"]) for F in counts if self.nvm((F, FIXED_L)) and self.nvm((F, FIXED_L)).get("heap_bytes")]
        title = "**Heap bytes linear in function count**"
        if len(got) < 3 or len({F for F, _ in got}) < 3:
            return f"- {title}: not measured (fewer than 3 function counts)."
        n = len(got)
        mx = sum(F for F, _ in got) / n
        my = sum(b for _, b in got) / n
        slope = sum((F - mx) * (b - my) for F, b in got) / sum((F - mx) ** 2 for F, _ in got)
        icpt = my - slope * mx
        dev = max(abs(b - (icpt + slope * F)) / b for F, b in got)
        verdict = "**met**" if dev <= LINEAR_TOL else f"**not met** (a point {dev * 100:.1f}% off the line, over the {LINEAR_TOL * 100:.0f}% allowed)"
        s = (
            f"- {title}: {verdict}. Depth {FIXED_L}, F = {', '.join(f'{F:,}' for F, _ in got)}: least-squares line "
            f"{slope:,.0f} bytes per function {'+' if icpt >= 0 else '-'} {abs(icpt):,.0f} bytes; every point within {dev * 100:.1f}% of it "
            f"(bytes per function: {', '.join(f'{b / F:,.0f}' for F, b in got)})."
        )
        nb = [(F, self.numba((F, FIXED_L))["cache_bytes"]) for F in counts if self.numba((F, FIXED_L)) and self.numba((F, FIXED_L)).get("cache_bytes")]
        if nb:
            s += f" Numba's cache per function at the same depth: {', '.join(f'{b / F:,.0f} B at F = {F}' for F, b in nb)}."
        return s

    def vs_numba_bytes(self):
        F, L = NUMBA_BYTES_AT
        title = f"**Heap at most 1/{NUMBA_BYTES_RATIO:.0f} of Numba's cache at {F} functions, {L} layers**"
        if not self.numba_on:
            return f"- {title}: not measured (Numba not installed, or `--no-numba`)."
        nv, nb = self.nvm(NUMBA_BYTES_AT), self.numba(NUMBA_BYTES_AT)
        x = ratio((nb, "cache_bytes"), (nv, "heap_bytes"))
        if x is None:
            why = "; ".join((nb or {}).get("errors", [])) or "that graph was not run under Numba"
            return f"- {title}: not measured ({why})."
        verdict = "**met**" if x >= NUMBA_BYTES_RATIO else f"**not met** (only {x:.1f}x smaller)"
        return f"- {title}: {verdict}: nvm {size(nv['heap_bytes'])}, Numba {size(nb['cache_bytes'])}: the heap is {x:.0f}x smaller."

    def warm_big(self):
        nv = self.nvm((BIG_F, FIXED_L))
        title = f"**Warm run of a {BIG_F:,}-function program under {WARM_MS:.0f} ms wall and {WARM_MIB:.0f} MiB peak RSS**"
        if not nv or nv.get("warm_wall") is None:
            return f"- {title}: not measured."
        ok_t = nv["warm_wall"] * 1e3 < WARM_MS
        ok_m = nv["warm_rss"] / 1024 < WARM_MIB
        misses = []
        if not ok_t:
            misses.append(f"wall {nv['warm_wall'] * 1e3 / WARM_MS:.1f}x the target")
        if not ok_m:
            misses.append(f"RSS {nv['warm_rss'] / 1024 / WARM_MIB:.2f}x the target")
        if ok_t and ok_m:
            verdict = "**met**"
        elif ok_m:
            verdict = f"**not met** on wall time ({misses[0]}); the RSS part is met"
        elif ok_t:
            verdict = f"**not met** on RSS ({misses[0]}); the wall-time part is met"
        else:
            verdict = "**not met** (" + ", ".join(misses) + ")"
        return f"- {title}: {verdict}: {secs(nv['warm_wall'])} (fastest of {nv['warm_runs']}; median {secs(nv['warm_wall_median'])}), {mib(nv['warm_rss'])}. See (c)."

    def cold_vs_numba(self):
        title = f"**First (cold) run at least {COLD_RATIO:.0f}x faster than Numba's first run of the same graph**"
        if not self.numba_on:
            return f"- {title}: not measured (Numba not installed, or `--no-numba`)."
        pairs = []
        for key in sorted(self.results):
            x = ratio((self.numba(key), "cold_wall"), (self.nvm(key), "cold_wall"))
            if x is not None:
                pairs.append((key, x))
        if not pairs:
            return f"- {title}: not measured (no graph has both numbers)."
        bad = [(k, x) for k, x in pairs if x < COLD_RATIO]
        if bad:
            verdict = f"**not met** on {len(bad)} of {len(pairs)} graphs (" + ", ".join(f"{k[0]} functions / {k[1]} layers: {x:.0f}x" for k, x in bad) + ")"
        else:
            verdict = f"**met** on all {len(pairs)} graphs run under Numba"
        return f"- {title} (whole process, both from an empty cache): {verdict}; " + ", ".join(f"{x:,.0f}x at {k[0]}/{k[1]}" for k, x in pairs) + " (functions/layers)."


def render(args, cmdline, results, graphs, depths, counts, versions, base, nvm_version, commit, elapsed, load):
    numba_on = versions is not None and not args.no_numba
    rep = Report(results, graphs, numba_on)
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    L = []
    L.append("## Code heap: layered call graphs")
    L.append("")
    L.append("Generated by `benches/heap.py` (re-run it to update this section; `benches/run.py` keeps it).")
    L.append("")
    L.append(f"- Command: `{cmdline}` (took {elapsed / 60:.1f} min)")
    L.append(f"- Date: {now}")
    L.append(
        f"- Machine: {os.cpu_count()} CPUs, {cpu_model()}, {platform.system()} {platform.release()}; shared, one run at a time "
        f"(load average {load[0]:.2f} at the start, {load[1]:.2f} at the end)"
    )
    L.append(f"- nvm: `{nvm_version}`, git commit {commit} when the run started, `cargo build --release`, Cranelift {cranelift_version()}")
    numba = f"Numba {versions['numba']}, NumPy {versions['numpy']}" if versions else "Numba not installed"
    if versions and args.no_numba:
        numba += " (not run: `--no-numba`)"
    L.append(f"- Python {platform.python_version()}, {numba}")
    L.append(
        f"- Runs per graph: nvm {args.cold_repeat} cold (each on an empty heap) and {args.warm_repeat} warm; "
        f"Numba 1 cold and {args.numba_warm} warm. Wall: whole process, the fastest run; peak RSS: the largest (`ru_maxrss` of the child)."
    )
    if base:
        L.append("- Process startup alone: " + "; ".join(f"{k} {secs(w)}, {mib(m)}" for k, (w, m) in base.items()))
    L.append("")
    L.append(
        f"Each graph is F functions in L layers, the same program in nk and in Python: every function does a little array work "
        f"with its own constants (`zeros(n)`, a fill loop, `full(n, c)`, two `sum`s) and adds the weighted results of its "
        f"callees in the layer below (leaves call nothing); `top`, alone in the top layer, is called once with n = {args.n} "
        f"and printed. Every function below `top` is called from exactly {CALLS_IN} call sites, so a graph has "
        f"{CALLS_IN} (F − 1) call sites whatever its depth (with equal layers each function calls {CALLS_IN} functions of the "
        "layer below; `top` calls all of its layer). \"calls per run\" is the size of the call tree one run executes: "
        "work grows with depth, code does not."
    )
    L.append("")
    L.append(
        "nvm: `nvm run --cache-dir DIR --tier=jit --stats=json prog.nk N` (`--tier=jit` compiles every function on the cold "
        "run); \"compiled / loaded\" are `--stats=json`'s `compiled` on the cold run and `loaded` on the warm run (they count "
        "`main` and the prelude's `sum` too), \"nvm compile\" is the cold run's `compile_ms`. Numba: every function "
        "`@numba.njit(cache=True)`, `NUMBA_CACHE_DIR=DIR python3 prog.py N`. Cold = empty cache folder; warm = the same "
        "command again. Heap / cache bytes: all files in the folder after the cold run. Every run printed the number the "
        f"script computes in plain Python (relative tolerance {REL_TOL:g}), and every nvm warm run reported `\"compiled\":0`, "
        "unless listed under failures below."
    )
    L.append("")
    L.append(f"### (a) {FIXED_F} functions, growing depth")
    L.append("")
    L.extend(rep.table([(FIXED_F, d) for d in depths]))
    L.append("")
    L.append(f"### (b) Depth {FIXED_L}, growing function count")
    L.append("")
    L.extend(rep.table([(F, FIXED_L) for F in counts]))
    L.append("")
    if numba_on:
        L.append(
            "\"—\" in a Numba column: that graph was not run under Numba (its first run takes minutes; choose with "
            "`--numba-depths` and `--numba-counts`)."
        )
        L.append("")
    big = rep.nvm((BIG_F, FIXED_L))
    L.append(f"### (c) Warm run of the {BIG_F:,}-function program")
    L.append("")
    if big and big.get("warm_wall") is not None:
        st = big.get("warm_stats", {})
        L.append(
            f"{BIG_F:,} functions, depth {FIXED_L}, {graphs[(BIG_F, FIXED_L)].dynamic_calls():,} calls per run: "
            f"whole process {secs(big['warm_wall'])} (fastest of {big['warm_runs']}, median {secs(big['warm_wall_median'])}), "
            f"peak RSS {mib(big['warm_rss'])}; {st.get('loaded')} entries loaded ({size(st.get('heap_bytes_loaded'))}) in "
            f"`heap_load_ms` {st.get('heap_load_ms')} ms; the run's own `wall_ms` {st.get('wall_ms')} ms (it starts after parsing "
            f"and type checking). The front end alone, `nvm check prog.nk` (parse and type check, nothing run or loaded), takes "
            f"{secs(big.get('check_wall'))} on the same program. The cold run of this program took {secs(big.get('cold_wall'))} ({big.get('compile_ms', 0):,.0f} ms in Cranelift), "
            f"peak RSS {mib(big.get('cold_rss'))}."
        )
        if big.get("check_wall") and big["check_wall"] * 1e3 > WARM_MS:
            L[-1] += (
                f" The front end alone takes {big['check_wall'] * 1e3 / WARM_MS:.1f}x the {WARM_MS:.0f} ms target: a warm run "
                "skips compilation, not parsing and type checking, so that target needs a faster front end (or one whose "
                "results are cached too), whatever the heap does."
            )
    else:
        L.append("Not measured.")
    L.append("")
    problems = []
    for key in sorted(results):
        for side in ("nvm", "numba"):
            v = results[key].get(side)
            if not v:
                continue
            where = f"- {key[0]} functions / {key[1]} layers, {'nvm' if side == 'nvm' else 'Numba'}"
            problems += [f"{where}: {e}" for e in v["errors"]]
            problems += [f"{where}: **MISMATCH**: {m}" for m in v["mismatch"]]
            if v.get("note"):
                problems.append(f"{where}: {v['note']}")
    if problems:
        L.append("Failures, mismatches and notes:")
        L.append("")
        L.extend(problems)
        L.append("")
    L.append("### Targets")
    L.append("")
    L.append(rep.flat(depths))
    L.append(rep.linear(counts))
    L.append(rep.vs_numba_bytes())
    L.append(rep.warm_big())
    L.append(rep.cold_vs_numba())
    if args.quick:
        L.append("- This was a `--quick` run: fewer graphs and runs; the verdicts are indicative only.")
    return "\n".join(L)


def write_into_benchmarks(path, section):
    """Replace the heap block of `path`, or insert it before `## How to read this` (else at the end)."""
    block = f"{BEGIN}\n{section}\n{END}"
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        text = ""
    i = text.find(BEGIN)
    j = text.find(END, i) if i >= 0 else -1
    if i >= 0 and j >= 0:
        text = text[:i] + block + text[j + len(END):]
    else:
        lines = text.split("\n")
        if ANCHOR in lines:
            k = lines.index(ANCHOR)
            text = "\n".join(lines[:k] + [block, ""] + lines[k:])
        else:
            text = text.rstrip("\n") + ("\n\n" if text.strip() else "") + block + "\n"
    with open(path, "w") as f:
        f.write(text)


# ---------------------------------------------------------------------------------------


def loadavg():
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def int_list(s):
    try:
        return [int(x) for x in s.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list of integers, got {s!r}")


def unique(keys):
    out = []
    for k in keys:
        if k not in out:
            out.append(k)
    return out


def main():
    ap = argparse.ArgumentParser(description="Code heap benchmark: layered call graphs, nvm vs Numba cache=True")
    ap.add_argument("--nvm", default=DEFAULT_NVM, help="nvm binary (default target/release/nvm)")
    ap.add_argument("--build", action="store_true", help="cargo build --release first")
    ap.add_argument("--quick", action="store_true", help="fewer graphs and runs, Numba on one small graph")
    ap.add_argument("--no-numba", action="store_true", help="skip Numba")
    ap.add_argument("--numba-depths", type=int_list, default=None, help=f"depths at which the {FIXED_F}-function graph runs under Numba (default 2,4,6,8,12)")
    ap.add_argument("--numba-counts", type=int_list, default=None, help=f"function counts at depth {FIXED_L} run under Numba (default 21,61,201)")
    ap.add_argument("--depths", type=int_list, default=None, help="depths of series (a) (default 2,4,6,8,12)")
    ap.add_argument("--counts", type=int_list, default=None, help=f"function counts of series (b) (default 21,61,201,{BIG_F})")
    ap.add_argument("--n", type=int, default=8, help="argument of top: the array length (default 8)")
    ap.add_argument("--cold-repeat", type=int, default=None, help="nvm cold runs per graph (default 3; 1 with --quick)")
    ap.add_argument("--warm-repeat", type=int, default=None, help="nvm warm runs per graph (default 5; 3 with --quick)")
    ap.add_argument("--numba-warm", type=int, default=2, help="Numba warm runs per graph (default 2)")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds before one run counts as failed (default 300)")
    ap.add_argument("--keep", default=None, help="keep the programs and caches under this folder")
    ap.add_argument("--out", default=os.path.join(ROOT, "BENCHMARKS.md"), help="report file (default BENCHMARKS.md)")
    ap.add_argument("--no-write", action="store_true", help="print the report, write nothing")
    args = ap.parse_args()
    q = args.quick
    args.cold_repeat = args.cold_repeat or (1 if q else 3)
    args.warm_repeat = args.warm_repeat or (3 if q else 5)
    if min(args.n, args.cold_repeat, args.warm_repeat, args.numba_warm) < 1:
        ap.error("--n, --cold-repeat, --warm-repeat and --numba-warm must be >= 1")
    depths = args.depths or ([2, 4, 6] if q else [2, 4, 6, 8, 12])
    counts = args.counts or ([21, 61, BIG_F] if q else [21, 61, 201, BIG_F])
    numba_depths = args.numba_depths if args.numba_depths is not None else ([] if q else [2, 4, 6, 8, 12])
    numba_counts = args.numba_counts if args.numba_counts is not None else ([21] if q else [21, 61, 201])

    if args.build:
        if os.path.abspath(args.nvm) != DEFAULT_NVM:
            ap.error("--build only with the default --nvm")
        if subprocess.run(["cargo", "build", "--release"], cwd=ROOT).returncode != 0:
            sys.exit("cargo build --release failed")
    nvm = os.path.abspath(args.nvm)
    if not os.access(nvm, os.X_OK):
        sys.exit(f"{nvm} not found (build it with `cargo build --release`, or pass --nvm PATH)")
    nvm_version = sh([nvm, "--version"]) or "nvm ?"
    commit = git_commit()

    versions = numba_version()
    numba_on = versions is not None and not args.no_numba

    # nvm on every graph first (seconds each), then Numba (minutes each), smallest first.
    numba_keys = sorted(unique([(FIXED_F, d) for d in numba_depths] + [(F, FIXED_L) for F in numba_counts])) if numba_on else []
    depths = unique(depths + [L for F, L in numba_keys if F == FIXED_F])
    counts = unique(counts + [F for F, L in numba_keys if L == FIXED_L])
    depths.sort()
    counts.sort()
    nvm_keys = unique([(FIXED_F, d) for d in depths] + [(F, FIXED_L) for F in counts])
    graphs = {}
    for F, Lyr in nvm_keys:
        try:
            graphs[(F, Lyr)] = Graph(F, Lyr)
        except ValueError as e:
            ap.error(str(e))

    t_start = time.perf_counter()
    load0 = loadavg()
    root = os.path.abspath(args.keep) if args.keep else tempfile.mkdtemp(prefix="nvm-heapbench-")
    os.makedirs(root, exist_ok=True)
    results = {}
    failed = False
    try:
        base = startup(nvm, numba_on, args.timeout)
        print("startup: " + "; ".join(f"{k} {secs(w)} {mib(m)}" for k, (w, m) in base.items()), flush=True)
        for key in nvm_keys:
            F, Lyr = key
            g = graphs[key]
            work = os.path.join(root, f"F{F}-L{Lyr}")
            os.makedirs(work, exist_ok=True)
            print(f"nvm   F={F:<5} L={Lyr:<3} calls={g.dynamic_calls():<10,} ", end="", flush=True)
            r = bench_nvm(nvm, g, args.n, work, args.cold_repeat, args.warm_repeat, args.timeout)
            r["warm_runs"] = args.warm_repeat
            results.setdefault(key, {})["nvm"] = r
            print(
                f"heap {size(r.get('heap_bytes'))} ({r.get('heap_files')} files)  compiled {r.get('compiled')}  "
                f"cold {secs(r.get('cold_wall'))} {mib(r.get('cold_rss'))}  warm {secs(r.get('warm_wall'))} {mib(r.get('warm_rss'))} "
                f"loaded {r.get('loaded')}  check {secs(r.get('check_wall'))}"
                + "".join(f"\n    ERROR {e}" for e in r["errors"])
                + "".join(f"\n    MISMATCH {m}" for m in r["mismatch"]),
                flush=True,
            )
            failed |= bool(r["errors"] or r["mismatch"])
        for key in numba_keys:
            F, Lyr = key
            work = os.path.join(root, f"F{F}-L{Lyr}")
            os.makedirs(work, exist_ok=True)
            print(f"numba F={F:<5} L={Lyr:<3} ", end="", flush=True)
            r = bench_numba(graphs[key], args.n, work, args.numba_warm, args.timeout)
            results.setdefault(key, {})["numba"] = r
            print(
                f"cache {size(r.get('cache_bytes'))} ({r.get('cache_files')} files)  cold {secs(r.get('cold_wall'))} {mib(r.get('cold_rss'))}  "
                f"warm {secs(r.get('warm_wall'))} {mib(r.get('warm_rss'))}"
                + "".join(f"\n    ERROR {e}" for e in r["errors"])
                + "".join(f"\n    MISMATCH {m}" for m in r["mismatch"]),
                flush=True,
            )
            failed |= bool(r["errors"] or r["mismatch"])
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    elapsed = time.perf_counter() - t_start

    cmdline = "python3 benches/heap.py" + "".join(" " + a for a in sys.argv[1:])
    section = render(args, cmdline, results, graphs, depths, counts, versions, base, nvm_version, commit, elapsed, (load0, loadavg()))
    print()
    print(section)
    if not args.no_write:
        write_into_benchmarks(args.out, section)
        results_md = os.path.join(HERE, "heap_results.md")
        with open(results_md, "w") as f:
            f.write(
                "# Code heap benchmark: results\n\n"
                "The last run of `benches/heap.py`; the same section is in [BENCHMARKS.md](../BENCHMARKS.md).\n\n"
                + section.replace("## Code heap: layered call graphs", "## Layered call graphs", 1)
                + "\n"
            )
        print(f"\nwrote {args.out} and {results_md}")
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
