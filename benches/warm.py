#!/usr/bin/env python3
"""Warm runs of the 1,000-function program of benches/heap.py (series (c)), builds side by side.

`python3 benches/warm.py NVM [NVM ...] [--repeat 5] [--functions 1000] [--depth 4] [--n 8]`

Each binary gets its own heap folder, filled by one cold run; then the warm runs
(`nvm run --cache-dir DIR --tier=jit --stats=json prog.nk N`) alternate between the
binaries, so drift of a shared machine's speed hits all alike. Prints per binary the median
and minimum whole-process wall time, the median CPU time (user + system), the largest peak RSS (the child's own, wait4), the
median `heap_load_ms` and `wall_ms` from --stats=json, and the median of `nvm check
--stats=json`'s phases (total, parse, check). Every warm run must compile nothing and print
the same output.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import heap  # noqa: E402


def timed(cmd):
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, _, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    out, err = p.stdout.read().decode(), p.stderr.read().decode()
    p.wait()
    return wall, ru.ru_maxrss, out, err, ru.ru_utime + ru.ru_stime


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("nvm", nargs="+")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--functions", type=int, default=1000)
    ap.add_argument("--depth", type=int, default=4)
    ap.add_argument("--n", type=int, default=8)
    ap.add_argument(
        "--write",
        metavar="REPORT",
        help="also put the table into REPORT (BENCHMARKS.md) between <!-- warm:begin --> and <!-- warm:end -->",
    )
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="nvm-warm-")
    prog = os.path.join(tmp, "prog.nk")
    with open(prog, "w") as f:
        f.write(heap.Graph(a.functions, a.depth).nk())
    runs = {b: [] for b in a.nvm}
    checks = {b: [] for b in a.nvm}
    outs = set()
    for i, b in enumerate(a.nvm):
        d = os.path.join(tmp, f"heap{i}")
        subprocess.run([b, "run", "--cache-dir", d, "--tier=jit", prog, str(a.n)], check=True, capture_output=True)
    for _ in range(a.repeat):
        for i, b in enumerate(a.nvm):
            d = os.path.join(tmp, f"heap{i}")
            wall, rss, out, err, cpu = timed([b, "run", "--cache-dir", d, "--tier=jit", "--stats=json", prog, str(a.n)])
            s = json.loads(err.strip().splitlines()[-1])
            if s["compiled"] != 0:
                sys.exit(f"{b}: the warm run compiled {s['compiled']} functions")
            outs.add(out)
            runs[b].append((wall, rss, s, cpu))
            _, _, _, cerr, _ = timed([b, "check", "--stats=json", prog])
            try:
                checks[b].append(json.loads(cerr.strip().splitlines()[-1]))
            except (ValueError, IndexError):
                pass  # a build without `check --stats`
    if len(outs) != 1:
        sys.exit("the builds print different output")
    lines = [
        f"{a.functions} functions, depth {a.depth}, n={a.n}; {a.repeat} warm runs each, interleaved",
        "",
        "| nvm | wall median | wall min | CPU median | peak RSS max | heap_load_ms | wall_ms (stats) | check total | parse | check |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for b in a.nvm:
        r = runs[b]
        med = lambda xs: statistics.median(xs) if xs else float("nan")  # noqa: E731
        c = checks[b]
        lines.append(
            f"| {b} | {med([x[0] for x in r]) * 1e3:.1f} ms | {min(x[0] for x in r) * 1e3:.1f} ms | {med([x[3] for x in r]) * 1e3:.1f} ms "
            f"| {max(x[1] for x in r) / 1024:.1f} MiB | {med([x[2]['heap_load_ms'] for x in r]):.2f} "
            f"| {med([x[2]['wall_ms'] for x in r]):.1f} | {med([x['total_ms'] for x in c]):.1f} "
            f"| {med([x['parse_ms'] for x in c]):.1f} | {med([x['check_ms'] for x in c]):.1f} |"
        )
    print("\n".join(lines))
    if a.write:
        write_block(a.write, lines, a)


BEGIN, END = "<!-- warm:begin -->", "<!-- warm:end -->"


def write_block(path, lines, a):
    """Puts the table into the report between the warm markers (appended if absent)."""
    block = "\n".join(
        [
            BEGIN,
            "## Warm start: the 1,000-function program",
            "",
            f"Command: `python3 benches/warm.py target/release/nvm --repeat {a.repeat} --write BENCHMARKS.md` "
            "(the program of benches/heap.py series (c); one cold run fills the code heap and the run image, "
            "then warm runs `nvm run --cache-dir DIR --tier=jit --stats=json prog.nk 8`; wall and peak RSS "
            "are the whole process's; `check total` is `nvm check --stats=json` on the same program, the "
            "front end a warm run skips). Target: 20 ms wall, 30 MiB.",
            "",
            *lines,
            END,
        ]
    )
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        text = ""
    i, j = text.find(BEGIN), text.find(END)
    if i >= 0 and j > i:
        text = text[:i] + block + text[j + len(END):]
    else:
        text = text.rstrip() + "\n" + block + "\n"
    with open(path, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
