#!/usr/bin/env python3
"""Two nvm builds side by side on the kernels of benches/run.py: `python3 benches/compare.py OLD NEW`.

OLD and NEW are `nvm` binaries (e.g. a release build of an earlier commit in a git worktree,
and target/release/nvm). For each kernel and tier (jit, interp by default) the two run in
turn — old, new, old, new ... — so drift of the machine's speed hits both alike; each run is
`nvm run --no-cache --tier=T --stats=json KERNEL.nk N`, and what is compared is the run time
without start-up and compilation: wall time less `compile_wait_ms`. Both must print the same
output. Prints a Markdown table: the median of each, NEW / OLD, and the ratio's spread
(min-max over the pairs).

Options:
  --cpu          compare the child's CPU time (user + system, from wait4; compilation
                 included) instead of wall time less compile_wait_ms: steadier on a loaded machine
  --allow-different-output
                 report, instead of stopping at, kernels whose output differs (a change
                 of summation order moves the last digits)
  --repeat N     pairs per kernel and tier (default 7)
  --tiers LIST   comma-separated tiers (default jit,interp)
  --only NAMES   comma-separated kernel names
  --quick        the smaller sizes of run.py
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
from run import KERNELS, KERNELS_DIR  # noqa: E402


def run_time(nvm, tier, path, n, cpu=False):
    """(seconds of run time, stdout): wall time less nvm's compile time, or (`cpu`) the
    child's user + system CPU time."""
    cmd = [nvm, "run", "--no-cache", f"--tier={tier}", "--stats=json", path, str(n)]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=out, stderr=err, text=True)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if status != 0:
        sys.exit(f"{' '.join(cmd)} failed ({status}): {stderr.strip()[-500:]}")
    if cpu:
        return ru.ru_utime + ru.ru_stime, stdout
    stats = json.loads(stderr.strip().splitlines()[-1])
    # The time the program waited for native code; builds before `compile_wait_ms` knew only
    # Cranelift's time (which compile threads overlap with the run).
    return wall - stats.get("compile_wait_ms", stats["compile_ms"]) / 1000.0, stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--tiers", default="jit,interp")
    ap.add_argument("--only", default="")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--cpu", action="store_true")
    ap.add_argument("--allow-different-output", action="store_true")
    a = ap.parse_args()
    only = {k for k in a.only.split(",") if k}
    print(f"old: {a.old}\nnew: {a.new}\n")
    what = "CPU s" if a.cpu else "s"
    print(f"| kernel | tier | old ({what}, median) | new ({what}, median) | new / old | spread of new / old |")
    print("|---|---|---:|---:|---:|---|")
    for name, _flavour, _kind, size, quick, _what in KERNELS:
        if only and name not in only:
            continue
        n = quick if a.quick else size
        path = os.path.join(KERNELS_DIR, name + ".nk")
        for tier in a.tiers.split(","):
            olds, news, ratios = [], [], []
            differs = False
            for _ in range(a.repeat):
                t_old, out_old = run_time(a.old, tier, path, n, a.cpu)
                t_new, out_new = run_time(a.new, tier, path, n, a.cpu)
                if out_old != out_new:
                    if not a.allow_different_output:
                        sys.exit(f"{name} ({tier}): the two builds print different output")
                    differs = True
                olds.append(t_old)
                news.append(t_new)
                ratios.append(t_new / t_old)
            mo, mn = statistics.median(olds), statistics.median(news)
            print(
                f"| {name} | {tier} | {mo:.3f} | {mn:.3f} | {mn / mo:.3f} | {min(ratios):.2f}-{max(ratios):.2f}"
                + (" (output differs) |" if differs else " |"),
                flush=True,
            )


if __name__ == "__main__":
    main()
