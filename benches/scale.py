#!/usr/bin/env python3
"""Compiling at scale (issue 15): `python3 benches/scale.py [--repeat N] [--out PATH]`.

Generates two programs into a temporary folder and times `nvm run --no-cache
--tier=jit` on each (wall time and peak RSS from `/usr/bin/time`-like rusage, minimum of
the repeats), then writes a block between the `scale` markers into BENCHMARKS.md (which
`benches/run.py` keeps):

  statements  a script of N top-level statements (assignments, arithmetic, branches over
              1,000 variables: the shape of generated code), sizes 40,000 and 400,000
  functions   N functions in call chains of 100 (each a branch and a call), every chain
              called from `main`, sizes 2,000 and 20,000

Targets: the 400,000-statement script in <= 2 s and <= 300 MB; 20,000 functions in <= 5 s.
Uses target/release/nvm as it is (build it first).
"""

import argparse
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
NVM = os.path.join(ROOT, "target", "release", "nvm")
BEGIN, END = "<!-- scale:begin -->", "<!-- scale:end -->"


def statements(n, variables=1000):
    out = ["let s = 0.0;", "let k = 1;"]
    out += [f"let v{j} = {j}.5;" for j in range(variables)]
    for i in range(n - variables):
        a, b, c = i % variables, (i * 7 + 3) % variables, (i * 13 + 5) % variables
        out.append(
            [
                f"v{a} = v{b} * 0.5 + v{c};",
                f"s = s + v{a} / {i % 11 + 1}.0;",
                f"k = (k * {i % 31 + 3} + {i}) % 1000003;",
                f"if v{a} > 1000.0 {{ v{a} = v{a} - 1000.0; }}",
            ][i % 4]
        )
    out.append("print(s, k);")
    return "\n".join(out) + "\n"


def functions(n):
    out = []
    for i in range(n):
        if i % 100 == 0:
            out.append(f"fn f{i}(x: i64) -> i64 {{ return x + {i}; }}")
        else:
            m = i % 7 + 1
            out.append(
                f"fn f{i}(x: i64) -> i64 {{ let y = x * {m}; if y % 2 == 0 "
                f"{{ return f{i - 1}(y % 1000) + {i}; }} return f{i - 1}(x + 3) - 1; }}"
            )
    out.append("fn main() {")
    out.append("    let s = 0;")
    out += [f"    s = (s + f{c}({c % 17})) % 1000003;" for c in range(99, n, 100)]
    out.append("    print(s);")
    out.append("}")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default=os.path.join(ROOT, "BENCHMARKS.md"))
    args = ap.parse_args()
    if not os.path.exists(NVM):
        sys.exit("build first: cargo build --release")
    cases = [
        ("functions", 2_000, functions),
        ("functions", 20_000, functions),
        ("statements", 40_000, statements),
        ("statements", 400_000, statements),
    ]
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for kind, n, gen in cases:
            path = os.path.join(d, f"{kind}_{n}.nk")
            with open(path, "w") as f:
                f.write(gen(n))
            # Each size in its own child processes, so the RSS reading is this size's.
            walls, rsses = [], []
            for _ in range(args.repeat):
                code = (
                    "import sys, resource, subprocess, time;"
                    "t=time.perf_counter();"
                    f"p=subprocess.run([{NVM!r},'run','--no-cache','--tier=jit',{path!r}],capture_output=True);"
                    "w=time.perf_counter()-t;"
                    "print(p.returncode, w, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
                )
                out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.split()
                if not out or out[0] != "0":
                    sys.exit(f"nvm failed on {kind} {n}")
                walls.append(float(out[1]))
                rsses.append(int(out[2]) / 1024)
            rows.append((kind, n, min(walls), min(rsses)))
            print(f"{kind:<10} {n:>8,}  {min(walls):7.2f} s  {min(rsses):7.1f} MiB", flush=True)
    lines = [
        BEGIN,
        "## Compiling at scale",
        "",
        f"`python3 benches/scale.py` (`nvm run --no-cache --tier=jit`, minimum of {args.repeat} "
        f"runs, {os.cpu_count()} CPUs). Targets: 400,000 statements in <= 2 s and <= 300 MB; "
        "20,000 functions in <= 5 s.",
        "",
        "| program | size | wall | peak RSS | target |",
        "|---|---:|---:|---:|---|",
    ]
    for kind, n, wall, rss in rows:
        target = ""
        if kind == "statements" and n == 400_000:
            # The target is in MB (10^6 bytes); the RSS is measured in MiB.
            met = wall <= 2.0 and rss * 1.048576 <= 300
            target = ("met" if met else "not met") + " (<= 2 s, <= 300 MB)"
        if kind == "functions" and n == 20_000:
            target = ("met" if wall <= 5.0 else "not met") + " (<= 5 s)"
        lines.append(f"| {kind} | {n:,} | {wall:.2f} s | {rss:.0f} MiB ({rss * 1.048576:.0f} MB) | {target} |")
    lines.append(END)
    block = "\n".join(lines)
    try:
        with open(args.out) as f:
            text = f.read()
    except OSError:
        text = ""
    i, j = text.find(BEGIN), text.find(END)
    if i >= 0 and j >= 0:
        text = text[:i] + block + text[j + len(END):]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    with open(args.out, "w") as f:
        f.write(text)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
