#!/usr/bin/env python3
"""Code heap benchmark: layered call graphs, nvm's code heap vs Numba's `cache=True`.

    python3 benches/heap.py                 full run (~15-25 min, most of it Numba compiling)
    python3 benches/heap.py --quick         smaller series, Numba on one small graph (~2 min)
    python3 benches/heap.py --no-numba      nvm only (~1 min)

Generates the same program in nk and in Python + Numba: F numeric functions in L layers.
Layer 0 holds the leaves (small array work: `zeros`, a fill loop, `full`, `sum`); each
function of layer k > 0 combines the f64 results of 3 functions of layer k-1 (more where
the layer below is wider, so that every function is called); the top layer is the single
function `top`, which the script calls and prints. Every function has its own constants,
so no two bodies are alike. The expected result is computed here in plain Python
(sequential sums, as nk's), and nvm's and Numba's printed numbers are checked against it
(relative tolerance 1e-9).

Each configuration runs in fresh temporary folders:

  nvm    cold: `nvm run --cache-dir DIR --tier=jit --stats=json prog.nk N` on an empty DIR
               (every function compiled and written to the heap), repeated on a new empty
               DIR each time;
         warm: the same command again on the filled DIR (must report "compiled":0).
  Numba  cold: `python3 prog.py N` with an empty NUMBA_CACHE_DIR (every function @njit(cache=True));
         warm: the same again with the filled NUMBA_CACHE_DIR.

Wall time is the whole process, timed from here; peak RSS is the child's own maximum
resident set (wait4's ru_maxrss); heap / cache bytes are the total size of the files in
the cache folder after the cold run. Series: (a) 61 functions at growing depth, (b) depth 4
with a growing function count, (c) the warm run of the 1,000-function program of (b).

The report goes into BENCHMARKS.md between `<!-- heap:begin -->` and `<!-- heap:end -->`
(inserted before `## How to read this` the first time) and into benches/heap_results.md.
benches/run.py keeps that block when it rewrites BENCHMARKS.md.

Options:
  --nvm PATH             nvm binary (default target/release/nvm; built with --build)
  --build                run `cargo build --release` first (only with the default --nvm)
  --quick                smaller series: depths 2,4,6; counts 21,61,201; Numba only at 21 functions depth 2
  --no-numba             skip Numba even if it is installed
  --numba-depths LIST    depths at which the 61-function graph runs under Numba (default 2,4,6)
  --numba-counts LIST    function counts at depth 4 that run under Numba (default 21,61)
  --depths LIST          depths of series (a) for nvm (default 2,4,6,8,12)
  --counts LIST          function counts of series (b) for nvm (default 21,61,201,1000)
  --n N                  the argument passed to top (leaf array length, default 8)
  --cold-repeat R        nvm cold runs per graph, each on an empty heap (default 3)
  --warm-repeat R        nvm warm runs per graph (default 5); Numba: 1 cold, 2 warm
  --timeout S            seconds before one run counts as failed (default 300)
  --keep DIR             write the generated programs and caches under DIR and keep them
  --out PATH             the report file (default BENCHMARKS.md; heap_results.md is also written)
  --no-write             print the report, write nothing
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
FAN = 3  # callees per function (more where the layer below is wider)
REL_TOL = 1e-9

# Targets (see the report's "Targets" list).
FLAT_TOL = 0.10  # heap bytes across depths within 10%
LINEAR_TOL = 0.10  # heap bytes within 10% of a straight line in F
NUMBA_BYTES_RATIO = 20.0  # at 61 functions, 6 layers: heap <= Numba cache / 20
WARM_MS = 20.0  # 1,000-function warm run: wall < 20 ms
WARM_MIB = 30.0  # ... and peak RSS < 30 MiB
COLD_RATIO = 100.0  # nvm cold run >= 100x faster than Numba's cold run


# ---------------------------------------------------------------------------------------
# The call graph and its two programs


def fmt_const(x):
    """A float literal valid in nk and Python (repr always has '.' or an exponent)."""
    return repr(float(x))


class Graph:
    """F functions in L layers: layers[k] = list of function names; calls[name] = [(callee,
    weight, offset)]; leaf constants in leaf[name] = (slope, offset, fill, weight); add[name]
    the constant every intermediate function adds."""

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
        self.leaf, self.calls, self.add = {}, {}, {}
        for name in self.layers[0]:
            self.leaf[name] = (
                round(rng.uniform(0.01, 0.99), 6),
                round(rng.uniform(0.1, 2.0), 6),
                round(rng.uniform(0.1, 3.0), 6),
                round(rng.uniform(0.2, 0.9), 6),
            )
        for k in range(1, L):
            below, here = self.layers[k - 1], self.layers[k]
            fan = min(len(below), max(FAN, -(-len(below) // len(here))))
            for j, name in enumerate(here):
                callees = []
                for t in range(fan):
                    callee = below[(j * fan + t) % len(below)]
                    w = round(rng.uniform(0.7, 1.3) / fan, 6)
                    if t % 3 == 2:
                        w = -round(w * 0.1, 6)  # a small subtracted term: no cancellation
                    callees.append((callee, w, t % 3))
                self.calls[name] = callees
                self.add[name] = round(rng.uniform(0.01, 1.0), 6)

    def names(self):
        return [name for layer in self.layers for name in layer]

    def dynamic_calls(self):
        """How many calls one run of top makes (the call tree's size)."""
        count = {name: 1 for name in self.layers[0]}
        for layer in self.layers[1:]:
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
            if name in self.leaf:
                c1, c2, c3, c4 = self.leaf[name]
                sa = 0.0
                for i in range(n):
                    sa += i * c1 + c2
                sb = 0.0
                for _ in range(n):
                    sb += c3
                v = sa + c4 * sb
            else:
                v = 0.0
                first = True
                for callee, w, off in self.calls[name]:
                    term = abs(w) * value(callee, n + off)
                    if first:
                        v, first = term, False
                    elif w < 0:
                        v = v - term
                    else:
                        v = v + term
                v = v + self.add[name]
            memo[key] = v
            return v

        return value("top", n)

    def _combination(self, name, call):
        parts = []
        for t, (callee, w, off) in enumerate(self.calls[name]):
            arg = "n" if off == 0 else f"n + {off}"
            term = f"{fmt_const(abs(w))} * {call(callee)}({arg})"
            parts.append(term if t == 0 else (" - " if w < 0 else " + ") + term)
        return "".join(parts) + f" + {fmt_const(self.add[name])}"

    def nk(self):
        out = [f"# Generated by benches/heap.py: {self.F} functions in {self.L} layers."]
        for name in self.names():
            if name in self.leaf:
                c1, c2, c3, c4 = map(fmt_const, self.leaf[name])
                out.append(
                    f"fn {name}(n: i64) -> f64 {{\n"
                    f"    let a = zeros(n);\n"
                    f"    for i in 0..n {{\n"
                    f"        a[i] = i * {c1} + {c2};\n"
                    f"    }}\n"
                    f"    let b = full(n, {c3});\n"
                    f"    return sum(a) + {c4} * sum(b);\n"
                    f"}}"
                )
            else:
                out.append(f"fn {name}(n: i64) -> f64 {{\n    return {self._combination(name, lambda c: c)};\n}}")
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
            out.append("@numba.njit(cache=True)")
            if name in self.leaf:
                c1, c2, c3, c4 = map(fmt_const, self.leaf[name])
                out.append(
                    f"def {name}(n):\n"
                    f"    a = np.zeros(n)\n"
                    f"    for i in range(n):\n"
                    f"        a[i] = i * {c1} + {c2}\n"
                    f"    b = np.full(n, {c3})\n"
                    f"    return np.sum(a) + {c4} * np.sum(b)\n"
                )
            else:
                out.append(f"def {name}(n):\n    return {self._combination(name, lambda c: c)}\n")
        out.append('if __name__ == "__main__":\n    print(repr(float(top(int(sys.argv[1])))))\n')
        return "\n".join(out)


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
    r["cold_stats"] = stats[-1]
    r["compiled"] = stats[-1].get("compiled")
    r["compile_ms"] = min(s.get("compile_ms", float("inf")) for s in stats)
    r["heap_bytes"], r["heap_files"] = colds[-1][3]
    if len({c[3] for c in colds}) != 1:
        r["errors"].append("heap size differs between cold runs: " + ", ".join(str(c[3][0]) for c in colds))
    if r["compiled"] is not None and r["compiled"] < graph.F:
        r["errors"].append(f"cold run compiled only {r['compiled']} of {graph.F} functions")
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
    r["loaded"] = warms[-1][2].get("loaded")
    r["warm_compiled"] = warms[-1][2].get("compiled")
    r["warm_stats"] = warms[-1][2]
    if folder_bytes(heap)[0] != r["heap_bytes"]:
        r["errors"].append("the warm run changed the heap's size")
    return r


def bench_numba(graph, n, workdir, warm_repeat, timeout):
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
    """Whole-process time and RSS of doing nothing: nvm on an empty main; python3 + import numba."""
    best = {}
    with tempfile.TemporaryDirectory(prefix="nvm-heapbench-") as d:
        empty = os.path.join(d, "empty.nk")
        with open(empty, "w") as f:
            f.write("fn main(n: i64) { }\n")
        probes = {"nvm (empty program)": [nvm, "run", "--no-cache", "--tier=jit", empty, "0"]}
        if numba:
            probes["python3 + import numba, numpy"] = [sys.executable, "-c", "import numba, numpy"]
        for _ in range(repeat):
            for label, cmd in probes.items():
                wall, rss, err, _, _ = run_measured(cmd, timeout=timeout)
                if wall is not None:
                    w, m = best.get(label, (wall, rss))
                    best[label] = (min(w, wall), max(m, rss))
    return best


def numba_version():
    """Numba's and NumPy's versions if `import numba` works for this python3, else None."""
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
        print(f"Numba is not usable by {sys.executable} ({last}); its columns say 'not measured'.", file=sys.stderr)
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
    dirty = sh(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no", "--", "src", "stdlib", "Cargo.toml", "Cargo.lock", "grammar"])
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


def kb(b):
    return "—" if b is None else f"{b / 1024:,.1f} KiB" if b < 1024 * 1024 else f"{b / 1048576:,.2f} MiB"


def mib(kib):
    return "—" if kib is None else f"{kib / 1024:.1f} MiB"


def secs(t):
    if t is None:
        return "—"
    return f"{t * 1e3:.1f} ms" if t < 1 else f"{t:.2f} s"


def fmt_x(r):
    return "—" if r is None else f"{r:,.0f}x" if r >= 100 else f"{r:.1f}x"


def cell(r, key, fmt, numba_on):
    """A table cell: the value, or why there is none."""
    if r is None:
        return "not measured" if not numba_on else "—"
    if key in r:
        return fmt(r[key])
    return "error" if r["errors"] else "—"


def graph_row(F, L, g, nv, nb, numba_on):
    b_per_fn = nv.get("heap_bytes") / F if nv and "heap_bytes" in nv else None
    ratio_bytes = nb["cache_bytes"] / nv["heap_bytes"] if nb and "cache_bytes" in nb and nv and nv.get("heap_bytes") else None
    ratio_cold = nb["cold_wall"] / nv["cold_wall"] if nb and "cold_wall" in nb and nv and "cold_wall" in nv else None
    nb_cell = (lambda k, f: cell(nb, k, f, numba_on)) if nb is not None or not numba_on else (lambda k, f: "not run")
    if not numba_on:
        nb_cell = lambda k, f: "not measured"  # noqa: E731
    return (
        f"| {F:,} | {L} | {g.dynamic_calls():,} | {cell(nv, 'heap_bytes', kb, True)} ({cell(nv, 'heap_files', str, True)} files) | "
        f"{'—' if b_per_fn is None else f'{b_per_fn:,.0f} B'} | {cell(nv, 'compiled', str, True)} / {cell(nv, 'loaded', str, True)} | "
        f"{cell(nv, 'compile_ms', lambda x: f'{x:.1f} ms', True)} | "
        f"{cell(nv, 'cold_wall', secs, True)} | {cell(nv, 'warm_wall', secs, True)} | {cell(nv, 'cold_rss', mib, True)} / {cell(nv, 'warm_rss', mib, True)} | "
        f"{nb_cell('cache_bytes', kb)} | {nb_cell('cold_wall', secs)} | {nb_cell('warm_wall', secs)} | "
        f"{nb_cell('cold_rss', mib) if nb else nb_cell('cold_rss', mib)} / {nb_cell('warm_rss', mib)} | "
        f"{fmt_x(ratio_bytes) if ratio_bytes else '—'} | {fmt_x(ratio_cold) if ratio_cold else '—'} |"
    )


TABLE_HEAD = [
    "| functions | layers | calls per run | nvm heap | heap / function | compiled / loaded | nvm compile | nvm cold | nvm warm | nvm peak RSS cold / warm | Numba cache | Numba cold | Numba warm | Numba peak RSS cold / warm | cache / heap | Numba cold / nvm cold |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
]


def verdicts(results, graphs, depths, counts, numba_on, quick):
    out = []
    # Flat in depth.
    a = [(L, results[(FIXED_F, L)]["nvm"]) for L in depths if results.get((FIXED_F, L), {}).get("nvm", {}).get("heap_bytes")]
    if len(a) >= 2:
        lo, hi = min(v["heap_bytes"] for _, v in a), max(v["heap_bytes"] for _, v in a)
        spread = hi / lo - 1
        s = f"{FIXED_F} functions at depths {', '.join(str(L) for L, _ in a)}: {kb(lo)} to {kb(hi)}, a spread of {spread * 100:.1f}%"
        verdict = "**met**" if spread <= FLAT_TOL else "**not met**"
        nb = [(L, results[(FIXED_F, L)].get("numba")) for L in depths]
        nb = [(L, v["cache_bytes"]) for L, v in nb if v and "cache_bytes" in v]
        extra = ""
        if len(nb) >= 2:
            extra = f" (Numba's cache over the same depths: {', '.join(f'{kb(b)} at depth {L}' for L, b in nb)}, {nb[-1][1] / nb[0][1]:.1f}x from depth {nb[0][0]} to {nb[-1][0]})"
        out.append(f"- **Heap bytes flat in depth (within {FLAT_TOL * 100:.0f}%)**: {verdict}. {s}{extra}.")
    else:
        out.append(f"- **Heap bytes flat in depth (within {FLAT_TOL * 100:.0f}%)**: not measured.")
    # Linear in function count.
    b = [(F, results[(F, FIXED_L)]["nvm"]["heap_bytes"]) for F in counts if results.get((F, FIXED_L), {}).get("nvm", {}).get("heap_bytes")]
    if len(b) >= 3:
        n = len(b)
        mx = sum(F for F, _ in b) / n
        my = sum(y for _, y in b) / n
        slope = sum((F - mx) * (y - my) for F, y in b) / sum((F - mx) ** 2 for F, _ in b)
        icpt = my - slope * mx
        dev = max(abs(y - (icpt + slope * F)) / y for F, y in b)
        verdict = "**met**" if dev <= LINEAR_TOL else "**not met**"
        out.append(
            f"- **Heap bytes linear in function count**: {verdict}. Depth {FIXED_L}, F = {', '.join(f'{F:,}' for F, _ in b)}: "
            f"least-squares line {slope:,.0f} bytes per function + {icpt:,.0f} bytes, every point within {dev * 100:.1f}% of it "
            f"(bytes per function: {', '.join(f'{y / F:,.0f}' for F, y in b)})."
        )
    else:
        out.append("- **Heap bytes linear in function count**: not measured (fewer than 3 function counts).")
    # Heap vs Numba's cache at 61 functions, 6 layers.
    key = (FIXED_F, 6)
    r = results.get(key, {})
    if not numba_on:
        out.append(f"- **Heap at most 1/{NUMBA_BYTES_RATIO:.0f} of Numba's cache at {FIXED_F} functions, 6 layers**: not measured (Numba not installed or `--no-numba`).")
    elif r.get("numba", {}).get("cache_bytes") and r.get("nvm", {}).get("heap_bytes"):
        x = r["numba"]["cache_bytes"] / r["nvm"]["heap_bytes"]
        verdict = "**met**" if x >= NUMBA_BYTES_RATIO else f"**not met** (only {x:.1f}x smaller)"
        out.append(
            f"- **Heap at most 1/{NUMBA_BYTES_RATIO:.0f} of Numba's cache at {FIXED_F} functions, 6 layers**: {verdict}: "
            f"nvm {kb(r['nvm']['heap_bytes'])} vs Numba {kb(r['numba']['cache_bytes'])}, {x:.1f}x smaller."
        )
    else:
        why = "; ".join(r.get("numba", {}).get("errors", [])) or "that graph was not run under Numba"
        out.append(f"- **Heap at most 1/{NUMBA_BYTES_RATIO:.0f} of Numba's cache at {FIXED_F} functions, 6 layers**: not measured ({why}).")
    # Warm run of the 1,000-function program.
    big = results.get((BIG_F, FIXED_L), {}).get("nvm", {})
    if "warm_wall" in big:
        ok_t = big["warm_wall"] * 1e3 < WARM_MS
        ok_m = big["warm_rss"] / 1024 < WARM_MIB
        verdict = "**met**" if ok_t and ok_m else "**not met**"
        parts = []
        if not ok_t:
            parts.append(f"wall {big['warm_wall'] * 1e3 / WARM_MS:.2f}x the target")
        if not ok_m:
            parts.append(f"RSS {big['warm_rss'] / 1024 / WARM_MIB:.2f}x the target")
        out.append(
            f"- **Warm run of a {BIG_F:,}-function program under {WARM_MS:.0f} ms wall and {WARM_MIB:.0f} MiB peak RSS**: {verdict}"
            + (f" ({', '.join(parts)})" if parts else "")
            + f": {secs(big['warm_wall'])} (minimum; median {secs(big['warm_wall_median'])}), {mib(big['warm_rss'])}, "
            f"{big.get('loaded')} entries loaded from a {kb(big['heap_bytes'])} heap, `compiled` 0."
        )
    else:
        out.append(f"- **Warm run of a {BIG_F:,}-function program under {WARM_MS:.0f} ms and {WARM_MIB:.0f} MiB**: not measured.")
    # Cold vs Numba's cold.
    pairs = [
        (k, v["nvm"]["cold_wall"], v["numba"]["cold_wall"])
        for k, v in sorted(results.items())
        if v.get("numba") and "cold_wall" in v["numba"] and "cold_wall" in v.get("nvm", {})
    ]
    if not numba_on:
        out.append(f"- **First (cold) run at least {COLD_RATIO:.0f}x faster than Numba's first run**: not measured (Numba not installed or `--no-numba`).")
    elif pairs:
        bad = [(k, nb / nv) for k, nv, nb in pairs if nb / nv < COLD_RATIO]
        xs = ", ".join(f"{fmt_x(nb / nv)} at {k[0]} functions / {k[1]} layers" for k, nv, nb in pairs)
        if bad:
            verdict = f"**not met** on {len(bad)} of {len(pairs)} graphs (" + ", ".join(f"{k[0]}/{k[1]}: only {x:.0f}x" for k, x in bad) + ")"
        else:
            verdict = f"**met** on all {len(pairs)} graphs run under Numba"
        out.append(f"- **First (cold) run at least {COLD_RATIO:.0f}x faster than Numba's first run** (whole process, both starting from an empty cache): {verdict}: {xs}.")
    else:
        out.append(f"- **First (cold) run at least {COLD_RATIO:.0f}x faster than Numba's first run**: not measured (no graph has both numbers).")
    if quick:
        out.append("- This was a `--quick` run: fewer and smaller graphs; the verdicts are indicative only.")
    return out


def report(args, cmdline, results, graphs, depths, counts, versions, base, nvm_version, elapsed):
    numba_on = versions is not None and not args.no_numba
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    L = []
    L.append("## Code heap: layered call graphs")
    L.append("")
    L.append("Generated by `benches/heap.py` (re-run it to update this section; `benches/run.py` keeps it).")
    L.append("")
    L.append(f"- Command: `{cmdline}` ({elapsed / 60:.1f} min)")
    L.append(f"- Date: {now}")
    L.append(f"- Machine: {os.cpu_count()} CPUs, {cpu_model()}, {platform.system()} {platform.release()} (shared; configurations run one after another)")
    L.append(
        f"- nvm: {nvm_version}, git commit {git_commit()}, `cargo build --release` (Cranelift {cranelift_version()}); "
        f"Python {platform.python_version()}, "
        + (f"Numba {versions['numba']}, NumPy {versions['numpy']}" if versions else "Numba not installed")
        + (" (not run: `--no-numba`)" if versions and args.no_numba else "")
    )
    L.append(
        f"- Program: `top({args.n})`; {FAN} callees per function (all of the layer below where it is wider); "
        f"nvm runs: {args.cold_repeat} cold (each on an empty heap), {args.warm_repeat} warm; Numba runs: 1 cold, {args.numba_warm} warm. "
        "Wall: whole process, minimum over the runs; peak RSS: the largest over the runs (the child's `ru_maxrss`)."
    )
    if base:
        L.append("- Process startup alone: " + ", ".join(f"{k} {secs(w)}, {mib(m)}" for k, (w, m) in base.items()))
    L.append("")
    L.append(
        f"Each graph is F functions in L layers: the leaves do small array work (`zeros`, a fill loop, `full`, two `sum`s), "
        f"each function above calls {FAN} functions of the layer below and combines their results with its own constants, and "
        "the top function is called once by the script. The same program runs under nvm (`nvm run --cache-dir DIR --tier=jit "
        "--stats=json prog.nk N`; `--tier=jit` compiles every function on the cold run) and under Numba (every function "
        "`@numba.njit(cache=True)`, `NUMBA_CACHE_DIR=DIR python3 prog.py N`). **Cold**: empty cache folder, everything "
        "compiled and stored. **Warm**: the same command again. Heap / cache bytes: all files in the folder after the cold run. "
        "\"compiled / loaded\": nvm's `--stats=json` on the cold and warm run (`compiled` includes `main` and the prelude's "
        "`zeros`, `full` and `sum`; every warm run compiled 0). Every run printed the value computed by the script in plain "
        f"Python (relative tolerance {REL_TOL:g})."
    )
    L.append("")

    def table(title, keys):
        L.append(title)
        L.append("")
        L.extend(TABLE_HEAD)
        for F, Lyr in keys:
            r = results.get((F, Lyr))
            if r is None:
                continue
            nb = r.get("numba")
            L.append(graph_row(F, Lyr, graphs[(F, Lyr)], r.get("nvm"), nb if nb is not None else (None if not numba_on else {"errors": [], "mismatch": []} if False else None), numba_on))
        L.append("")

    table(f"### (a) {FIXED_F} functions, growing depth", [(FIXED_F, d) for d in depths])
    table(f"### (b) Depth {FIXED_L}, growing function count", [(F, FIXED_L) for F in counts])
    L.append(
        "\"—\" in a Numba column: that graph was not run under Numba (it compiles for minutes; choose with "
        "`--numba-depths` and `--numba-counts`). \"calls per run\" is the size of the call tree: work grows with depth, "
        "code does not."
    )
    L.append("")
    problems = []
    for (F, Lyr), r in sorted(results.items()):
        for side in ("nvm", "numba"):
            v = r.get(side)
            if not v:
                continue
            for e in v["errors"]:
                problems.append(f"- {F} functions / {Lyr} layers, {side}: {e}")
            for m in v["mismatch"]:
                problems.append(f"- {F} functions / {Lyr} layers, {side}: **MISMATCH**: {m}")
            if v.get("note"):
                problems.append(f"- {F} functions / {Lyr} layers, {side}: {v['note']}")
    if problems:
        L.append("Failures, mismatches and notes:")
        L.append("")
        L.extend(problems)
        L.append("")
    L.append("### Targets")
    L.append("")
    L.extend(verdicts(results, graphs, depths, counts, numba_on, args.quick))
    return "\n".join(L)


def write_into_benchmarks(path, section):
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
        k = text.find("\n" + ANCHOR + "\n")
        if k >= 0:
            text = text[: k + 1] + block + "\n\n" + text[k + 1:]
        elif text.startswith(ANCHOR + "\n"):
            text = block + "\n\n" + text
        else:
            text = text.rstrip("\n") + ("\n\n" if text else "") + block + "\n"
    with open(path, "w") as f:
        f.write(text)


# ---------------------------------------------------------------------------------------


def int_list(s):
    try:
        return [int(x) for x in s.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list of integers, got {s!r}")


def main():
    ap = argparse.ArgumentParser(description="Code heap benchmark: layered call graphs, nvm vs Numba cache=True")
    ap.add_argument("--nvm", default=DEFAULT_NVM, help="nvm binary (default target/release/nvm)")
    ap.add_argument("--build", action="store_true", help="cargo build --release first")
    ap.add_argument("--quick", action="store_true", help="smaller series, Numba on one small graph")
    ap.add_argument("--no-numba", action="store_true", help="skip Numba")
    ap.add_argument("--numba-depths", type=int_list, default=None, help=f"depths at which the {FIXED_F}-function graph runs under Numba (default 2,4,6)")
    ap.add_argument("--numba-counts", type=int_list, default=None, help=f"function counts at depth {FIXED_L} run under Numba (default 21,61)")
    ap.add_argument("--depths", type=int_list, default=None, help="depths of series (a) (default 2,4,6,8,12)")
    ap.add_argument("--counts", type=int_list, default=None, help=f"function counts of series (b) (default 21,61,201,{BIG_F})")
    ap.add_argument("--n", type=int, default=8, help="argument of top (leaf array length)")
    ap.add_argument("--cold-repeat", type=int, default=3)
    ap.add_argument("--warm-repeat", type=int, default=5)
    ap.add_argument("--numba-warm", type=int, default=2, help=argparse.SUPPRESS)
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument("--keep", default=None, help="keep programs and caches under this folder")
    ap.add_argument("--out", default=os.path.join(ROOT, "BENCHMARKS.md"))
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    if args.n < 1 or args.cold_repeat < 1 or args.warm_repeat < 1:
        ap.error("--n, --cold-repeat and --warm-repeat must be >= 1")

    if args.quick:
        depths = args.depths or [2, 4, 6]
        counts = args.counts or [21, 61, 201]
        numba_depths = args.numba_depths if args.numba_depths is not None else []
        numba_counts = args.numba_counts if args.numba_counts is not None else []
        numba_extra = [(21, 2)] if args.numba_depths is None and args.numba_counts is None else []
    else:
        depths = args.depths or [2, 4, 6, 8, 12]
        counts = args.counts or [21, 61, 201, BIG_F]
        numba_depths = args.numba_depths if args.numba_depths is not None else [2, 4, 6]
        numba_counts = args.numba_counts if args.numba_counts is not None else [21, 61]
        numba_extra = []

    if args.build:
        if os.path.abspath(args.nvm) != DEFAULT_NVM:
            ap.error("--build only with the default --nvm")
        if subprocess.run(["cargo", "build", "--release"], cwd=ROOT).returncode != 0:
            sys.exit("cargo build --release failed")
    nvm = os.path.abspath(args.nvm)
    if not os.access(nvm, os.X_OK):
        sys.exit(f"{nvm} not found (build it with `cargo build --release`, or pass --nvm PATH)")
    nvm_version = sh([nvm, "--version"]) or "nvm ?"

    versions = None if args.no_numba else numba_version()
    numba_on = versions is not None
    if args.no_numba:
        numba_depths, numba_counts, numba_extra = [], [], []

    # Configurations, in run order: nvm series first (fast), then Numba (slow), smallest first.
    nvm_keys = []
    for key in [(FIXED_F, d) for d in depths] + [(F, FIXED_L) for F in counts] + numba_extra:
        if key not in nvm_keys:
            nvm_keys.append(key)
    numba_keys = []
    if numba_on:
        for key in [(FIXED_F, d) for d in numba_depths] + [(F, FIXED_L) for F in numba_counts] + numba_extra:
            if key not in numba_keys:
                numba_keys.append(key)
        numba_keys.sort()
        for key in numba_keys:
            if key not in nvm_keys:
                nvm_keys.append(key)
    graphs = {}
    for F, Lyr in nvm_keys:
        try:
            graphs[(F, Lyr)] = Graph(F, Lyr)
        except ValueError as e:
            ap.error(str(e))

    t_start = time.perf_counter()
    keep = os.path.abspath(args.keep) if args.keep else None
    root = keep or tempfile.mkdtemp(prefix="nvm-heapbench-")
    os.makedirs(root, exist_ok=True)
    results = {}
    failed = False
    try:
        base = startup(nvm, numba_on, args.timeout)
        print("startup: " + ", ".join(f"{k} {secs(w)} {mib(m)}" for k, (w, m) in base.items()), flush=True)
        for F, Lyr in nvm_keys:
            g = graphs[(F, Lyr)]
            work = os.path.join(root, f"F{F}-L{Lyr}")
            os.makedirs(work, exist_ok=True)
            print(f"nvm   F={F:<5} L={Lyr:<3} calls={g.dynamic_calls():<9,} ", end="", flush=True)
            r = bench_nvm(nvm, g, args.n, work, args.cold_repeat, args.warm_repeat, args.timeout)
            results.setdefault((F, Lyr), {})["nvm"] = r
            print(
                f"heap {kb(r.get('heap_bytes'))} ({r.get('heap_files')} files)  compiled {r.get('compiled')}  "
                f"cold {secs(r.get('cold_wall'))} {mib(r.get('cold_rss'))}  warm {secs(r.get('warm_wall'))} {mib(r.get('warm_rss'))} "
                f"loaded {r.get('loaded')}" + "".join(f"\n    ERROR {e}" for e in r["errors"]) + "".join(f"\n    MISMATCH {m}" for m in r["mismatch"]),
                flush=True,
            )
            failed |= bool(r["errors"] or r["mismatch"])
        for F, Lyr in numba_keys:
            g = graphs[(F, Lyr)]
            work = os.path.join(root, f"F{F}-L{Lyr}")
            os.makedirs(work, exist_ok=True)
            print(f"numba F={F:<5} L={Lyr:<3} ", end="", flush=True)
            r = bench_numba(g, args.n, work, args.numba_warm, args.timeout)
            results.setdefault((F, Lyr), {})["numba"] = r
            print(
                f"cache {kb(r.get('cache_bytes'))} ({r.get('cache_files')} files)  cold {secs(r.get('cold_wall'))} {mib(r.get('cold_rss'))}  "
                f"warm {secs(r.get('warm_wall'))} {mib(r.get('warm_rss'))}"
                + "".join(f"\n    ERROR {e}" for e in r["errors"]) + "".join(f"\n    MISMATCH {m}" for m in r["mismatch"]),
                flush=True,
            )
            failed |= bool(r["mismatch"])
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)
    elapsed = time.perf_counter() - t_start

    cmdline = "python3 benches/heap.py" + "".join(" " + a for a in sys.argv[1:])
    all_depths = depths + [d for F, d in numba_extra if F == FIXED_F and d not in depths]
    all_counts = counts + [F for F, d in numba_extra if d == FIXED_L and F not in counts]
    section = report(args, cmdline, results, graphs, all_depths, all_counts, versions, base, nvm_version, elapsed)
    extra = [k for k in numba_extra if k[0] != FIXED_F and k[1] != FIXED_L]
    if extra:
        rows = [TABLE_HEAD[0], TABLE_HEAD[1]] + [graph_row(F, Lyr, graphs[(F, Lyr)], results[(F, Lyr)].get("nvm"), results[(F, Lyr)].get("numba"), numba_on) for F, Lyr in extra]
        head, _, tail = section.partition("### Targets")
        section = head + "### Other graphs\n\n" + "\n".join(rows) + "\n\n### Targets" + tail
    print()
    print(section)
    if not args.no_write:
        write_into_benchmarks(args.out, section)
        results_md = os.path.join(HERE, "heap_results.md")
        with open(results_md, "w") as f:
            f.write("# Code heap benchmark results\n\nThe same section as in BENCHMARKS.md, from the last run of `benches/heap.py`.\n\n" + section.replace("## Code heap", "## Code heap", 1) + "\n")
        print(f"\nwrote {args.out} and {results_md}")
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
