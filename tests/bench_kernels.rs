//! The benchmark kernels stay correct: each `benches/kernels/NAME.nk` runs at a small size
//! under `--tier=interp` and `--tier=jit` (which must compile every function), both must
//! print the same, and when NumPy is importable the Python twin `python3 NAME.py N` must
//! print the same first line, numbers compared with a relative tolerance of 1e-9 as
//! `benches/run.py` compares them. `SIZES` must name every kernel in the folder, so a new
//! kernel cannot go untested.

mod support;

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use support::{files_with_extension, nvm_bin, repo_path, Outcome, TierRun};

/// Each kernel and the size it runs at here: well below run.py's quick size, so that a
/// debug build's interpreter finishes each in well under a second.
const SIZES: &[(&str, i64)] = &[
    ("array_expr", 1_000),
    ("caller_callee", 40),
    ("collatz", 1_000),
    ("fib_rec", 15),
    ("float32", 1_000),
    ("float_loop", 10_000),
    ("histogram", 2_000),
    ("jacobi", 12),
    ("lennard_jones", 40),
    ("lu", 2),
    ("mandelbrot", 16),
    ("matmul_dot", 12),
    ("matmul_loops", 12),
    ("mergesort", 300),
    ("nbody", 100),
    ("pairwise", 30),
    ("prefix_sum", 2_000),
    ("reductions", 1_000),
    ("sieve", 10_000),
    ("sum_squares", 10_000),
];

/// A kernel that runs longer than this (in a debug build) hangs or has grown too big.
const TIMEOUT: Duration = Duration::from_secs(60);

/// The relative tolerance for numbers, as `REL_TOL` in benches/run.py.
const REL_TOL: f64 = 1e-9;

fn kernels_dir() -> PathBuf {
    repo_path("benches/kernels")
}

/// Whether `python3 -c 'import numpy'` works (asked once).
fn numpy() -> bool {
    static HAVE: OnceLock<bool> = OnceLock::new();
    *HAVE.get_or_init(|| {
        Command::new("python3")
            .args(["-c", "import numpy"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// run.py's `outputs_agree`: equal, or the same number of space-separated tokens, each equal
/// or both numbers (after stripping `()[],`) within `REL_TOL` (absolute 1e-12), or both NaN.
fn outputs_agree(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (ta, tb): (Vec<&str>, Vec<&str>) = (
        a.split_whitespace().collect(),
        b.split_whitespace().collect(),
    );
    ta.len() == tb.len()
        && ta.iter().zip(&tb).all(|(x, y)| {
            if x == y {
                return true;
            }
            let num = |s: &str| s.trim_matches(|c| "()[],".contains(c)).parse::<f64>();
            match (num(x), num(y)) {
                (Ok(fx), Ok(fy)) => {
                    (fx.is_nan() && fy.is_nan())
                        || (fx - fy).abs() <= f64::max(REL_TOL * fx.abs().max(fy.abs()), 1e-12)
                }
                _ => false,
            }
        })
}

/// `prog ARGS` under `--tier=tier` (without a heap), which must succeed and print.
fn run_ok(prog: &std::path::Path, args: &[String], tier: &str) -> Outcome {
    let run = TierRun {
        bin: nvm_bin(),
        prog,
        args,
        env: &[],
        heap: &std::env::temp_dir(), // unused by interp and jit (both run with --no-cache)
        timeout: TIMEOUT,
    };
    let out = run
        .run(tier)
        .unwrap_or_else(|e| panic!("{} {args:?} under --tier={tier}: {e}", prog.display()));
    assert!(
        out.status == 0 && !out.stdout.is_empty(),
        "{} {args:?} under --tier={tier}: status {}\nstdout:\n{}\nstderr:\n{}",
        prog.display(),
        out.status,
        out.stdout,
        out.stderr
    );
    out
}

/// The kernel `name` at its size: interp and jit print the same (and succeed), and so does
/// the Python twin's first line when NumPy is there.
fn check(name: &str) {
    let size = SIZES
        .iter()
        .find(|(k, _)| *k == name)
        .unwrap_or_else(|| panic!("no size for the kernel `{name}` in SIZES"))
        .1;
    let prog = kernels_dir().join(format!("{name}.nk"));
    let args = [size.to_string()];
    let interp = run_ok(&prog, &args, "interp");
    let jit = run_ok(&prog, &args, "jit");
    assert_eq!(
        interp, jit,
        "{name} {size}: the interpreter and the native tier disagree"
    );
    if !numpy() {
        eprintln!("numpy not available: {name} is not compared with its Python twin");
        return;
    }
    let py = Command::new("python3")
        .arg(kernels_dir().join(format!("{name}.py")))
        .arg(size.to_string())
        .output()
        .unwrap_or_else(|e| panic!("cannot start python3 for {name}.py: {e}"));
    let py_out = String::from_utf8_lossy(&py.stdout);
    assert!(
        py.status.success(),
        "python3 {name}.py {size} failed ({}):\n{}",
        py.status,
        String::from_utf8_lossy(&py.stderr)
    );
    let first = |s: &str| s.lines().next().unwrap_or("").trim().to_string();
    let (nk_line, py_line) = (first(&interp.stdout), first(&py_out));
    assert!(
        outputs_agree(&nk_line, &py_line),
        "{name} {size}: nvm printed `{nk_line}`, python3 {name}.py printed `{py_line}`"
    );
}

#[test]
fn every_kernel_has_a_size_here() {
    let on_disk: Vec<String> = files_with_extension(&kernels_dir(), "nk")
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    let listed: Vec<String> = SIZES.iter().map(|(k, _)| k.to_string()).collect();
    assert_eq!(
        on_disk, listed,
        "SIZES must list every benches/kernels/*.nk, sorted by name"
    );
    for name in &on_disk {
        assert!(
            kernels_dir().join(format!("{name}.py")).exists(),
            "{name}.nk has no Python twin {name}.py"
        );
    }
}

#[test]
fn outputs_agree_as_run_py_compares() {
    assert!(outputs_agree("1 2.5 (3.0, 4)", "1 2.5 (3.0, 4)"));
    assert!(outputs_agree("36.46970660597049", "36.469706605970465"));
    assert!(outputs_agree("nan 0.0", "nan 1e-13"));
    assert!(!outputs_agree("1.0", "1.000001"));
    assert!(!outputs_agree("1 2", "1"));
    assert!(!outputs_agree("true", "1"));
}

macro_rules! kernel_tests {
    ($($name:ident)*) => {
        $(
            #[test]
            fn $name() {
                check(stringify!($name));
            }
        )*
    };
}

kernel_tests! {
    array_expr caller_callee collatz fib_rec float32 float_loop histogram jacobi
    lennard_jones lu mandelbrot matmul_dot matmul_loops mergesort nbody pairwise prefix_sum
    reductions sieve sum_squares
}

/// Each `benches/variants/KERNEL_*.nk` (a kernel rewritten to take one of its costs apart,
/// benches/ANALYSIS.md) prints what `KERNEL.nk` prints at the kernel's size here, in the
/// native tier, numbers to run.py's tolerance.
#[test]
fn every_variant_prints_what_its_kernel_prints() {
    let variants = files_with_extension(&repo_path("benches/variants"), "nk");
    assert!(!variants.is_empty(), "benches/variants/ holds the variants");
    for v in variants {
        let stem = v.file_stem().unwrap().to_string_lossy().into_owned();
        let (name, size) = SIZES
            .iter()
            .find(|(k, _)| stem.starts_with(&format!("{k}_")))
            .unwrap_or_else(|| panic!("{stem}.nk names no kernel (KERNEL_what.nk)"));
        let args = [size.to_string()];
        let printed = |prog: &PathBuf| run_ok(prog, &args, "jit").stdout.trim().to_string();
        let (kernel, variant) = (
            printed(&kernels_dir().join(format!("{name}.nk"))),
            printed(&v),
        );
        assert!(
            outputs_agree(&kernel, &variant),
            "{stem}.nk printed `{variant}`, {name}.nk `{kernel}`"
        );
    }
}
