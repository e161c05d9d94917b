#!/usr/bin/env python3
"""Two nvm builds side by side on the kernels of benches/run.py: `python3 benches/compare.py OLD NEW`.

OLD and NEW are `nvm` binaries (e.g. a release build of an earlier commit in a git worktree,
and target/release/nvm). For each kernel and tier (jit, interp by default) the two run in
turn — old, new, old, new ... — so drift of the machine's speed hits both alike; each run is
`nvm run --no-cache --tier=T --stats=json KERNEL.nk N`, and what is compared is the run time
without start-up and compilation: wall time less `compile_ms`. Both must print the same
output. Prints a Markdown table: the median of each, NEW / OLD, and the ratio's spread
(min-max over the pairs).

Options:
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
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from run import KERNELS, KERNELS_DIR  # noqa: E402


def run_time(nvm, tier, path, n):
    """(seconds of run time, stdout): wall time less nvm's compile time."""
    cmd = [nvm, "run", "--no-cache", f"--tier={tier}", "--stats=json", path, str(n)]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr.strip()[-500:]}")
    stats = json.loads(p.stderr.strip().splitlines()[-1])
    return wall - stats["compile_ms"] / 1000.0, p.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--tiers", default="jit,interp")
    ap.add_argument("--only", default="")
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    only = {k for k in a.only.split(",") if k}
    print(f"old: {a.old}\nnew: {a.new}\n")
    print("| kernel | tier | old (s, median) | new (s, median) | new / old | spread of new / old |")
    print("|---|---|---:|---:|---:|---|")
    for name, _flavour, _kind, size, quick, _what in KERNELS:
        if only and name not in only:
            continue
        n = quick if a.quick else size
        path = os.path.join(KERNELS_DIR, name + ".nk")
        for tier in a.tiers.split(","):
            olds, news, ratios = [], [], []
            for _ in range(a.repeat):
                t_old, out_old = run_time(a.old, tier, path, n)
                t_new, out_new = run_time(a.new, tier, path, n)
                if out_old != out_new:
                    sys.exit(f"{name} ({tier}): the two builds print different output")
                olds.append(t_old)
                news.append(t_new)
                ratios.append(t_new / t_old)
            mo, mn = statistics.median(olds), statistics.median(news)
            print(
                f"| {name} | {tier} | {mo:.3f} | {mn:.3f} | {mn / mo:.3f} | {min(ratios):.2f}-{max(ratios):.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
