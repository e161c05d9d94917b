#!/usr/bin/env python3
"""Generate (or check) the expected outputs of the nk test programs.

For every tests/programs/**/NAME.py (the Python + NumPy twin of NAME.nk) run it with
cwd = its folder and tests/ on PYTHONPATH, and write its stdout to NAME.out.
  NAME.args  one line of whitespace-separated arguments, passed to the twin as to nvm
  NAME.env   lines KEY=relative/dir, set for the twin resolved against the test's folder
`--check` compares against the existing .out files instead of writing them.
Also validates the layout: a NAME.nk is a test only when NAME.out or NAME.err sits beside it;
an .err test has no twin; every .nk outside a modules/ folder must be a test.
Exit status 1 (loudly) on any failure.
"""
import argparse
import os
import subprocess
import sys

TESTS = os.path.dirname(os.path.abspath(__file__))
PROGRAMS = os.path.join(TESTS, "programs")


def read_args(base):
    p = base + ".args"
    if not os.path.exists(p):
        return []
    with open(p) as f:
        return f.read().split()


def read_env(base, folder):
    env = dict(os.environ)
    env["PYTHONPATH"] = TESTS + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONHASHSEED"] = "0"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    p = base + ".env"
    if os.path.exists(p):
        with open(p) as f:
            for line in f:
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                k, v = line.split("=", 1)
                env[k.strip()] = os.path.normpath(os.path.join(folder, v.strip()))
    return env


def check_err_file(path):
    with open(path) as f:
        lines = f.read().splitlines()
    if not lines or not lines[0].startswith("status: ") or lines[0][8:] not in ("1", "2"):
        return "first line must be 'status: 1' or 'status: 2'"
    if len(lines) < 2 or any(not l.strip() for l in lines[1:]):
        return "needs at least one non-empty substring line"
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="compare with existing .out files")
    ap.add_argument("filter", nargs="*", help="only tests whose path contains one of these")
    opts = ap.parse_args()

    failures = []
    counts = {}
    ran = 0
    for folder, dirs, files in os.walk(PROGRAMS):
        dirs.sort()
        rel = os.path.relpath(folder, PROGRAMS)
        in_modules = rel.split(os.sep)[0] == "modules"
        for fn in sorted(files):
            base = os.path.join(folder, fn[:-3]) if fn.endswith(".nk") else None
            if base is None:
                continue
            has_py = os.path.exists(base + ".py")
            has_err = os.path.exists(base + ".err")
            name = os.path.relpath(base, PROGRAMS)
            if has_py and has_err:
                failures.append("%s: has both .py and .err" % name)
            elif has_err:
                msg = check_err_file(base + ".err")
                if msg:
                    failures.append("%s.err: %s" % (name, msg))
            elif not has_py and not os.path.exists(base + ".out") and not in_modules:
                failures.append("%s.nk: neither .py twin nor .err (only modules/ may hold non-tests)" % name)
            if has_py or has_err or os.path.exists(base + ".out"):
                sec = rel.split(os.sep)[0]
                counts[sec] = counts.get(sec, 0) + 1
        for fn in sorted(files):
            if not fn.endswith(".py"):
                continue
            base = os.path.join(folder, fn[:-3])
            name = os.path.relpath(base, PROGRAMS)
            if opts.filter and not any(s in name for s in opts.filter):
                continue
            if not os.path.exists(base + ".nk"):
                failures.append("%s.py: no matching .nk" % name)
                continue
            cmd = [sys.executable, fn] + read_args(base)
            try:
                r = subprocess.run(cmd, cwd=folder, env=read_env(base, folder),
                                   capture_output=True, timeout=300)
            except subprocess.TimeoutExpired:
                failures.append("%s.py: timed out" % name)
                continue
            ran += 1
            if r.returncode != 0:
                failures.append("%s.py: exit %d\n%s" % (name, r.returncode, r.stderr.decode(errors="replace")))
                continue
            out = r.stdout
            if opts.check:
                try:
                    with open(base + ".out", "rb") as f:
                        old = f.read()
                except FileNotFoundError:
                    failures.append("%s.out: missing" % name)
                    continue
                if old != out:
                    failures.append("%s.out: differs from twin output" % name)
            else:
                with open(base + ".out", "wb") as f:
                    f.write(out)

    total = sum(counts.values())
    for sec in sorted(counts):
        print("%-16s %4d" % (sec, counts[sec]))
    print("%-16s %4d   (twins run: %d)" % ("total", total, ran))
    if failures:
        print("\nFAILURES (%d):" % len(failures), file=sys.stderr)
        for f in failures:
            print("  " + f, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
