//! The corpus harness: runs every program under tests/programs through the `nvm` binary,
//! once per tier, and compares stdout with `NAME.out` or the failure with `NAME.err`
//! (see tests/programs/README.md for the file conventions). Beyond that, every tier must
//! give exactly the interpreter's stdout, stderr and exit status, and under `--tier=jit`
//! Cranelift must have compiled every function that ran (`--stats=json`). All mismatches
//! are reported together.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Tiers every program runs through; each must give identical results. `cold` and `warm`
/// are `--tier=jit` with a code heap shared by the whole corpus: `cold` fills it, `warm`
/// (the same program again) must compile nothing and load everything from it.
/// `mixed` is auto with `--jit-calls=1`: nearly every call crosses between the tiers.
const TIERS: &[&str] = &["interp", "jit", "auto", "mixed", "cold", "warm"];

/// The code heap of the `cold`/`warm` runs (one per test process).
fn heap_dir() -> PathBuf {
    std::env::temp_dir().join(format!("nvm-corpus-heap-{}", std::process::id()))
}
/// A program that runs longer than this is reported as hanging.
const TIMEOUT: Duration = Duration::from_secs(60);

struct Case {
    nk: PathBuf,
    expect: Expect,
    args: Vec<String>,
    env: Vec<(String, PathBuf)>,
}

enum Expect {
    Out(String),
    Err { status: i32, needles: Vec<String> },
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("readable test dir")
        .flatten()
        .collect();
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "nk") {
            out.push(p);
        }
    }
}

fn load_case(nk: PathBuf) -> Option<Case> {
    let out = nk.with_extension("out");
    let err = nk.with_extension("err");
    let expect = if out.exists() {
        Expect::Out(std::fs::read_to_string(&out).expect("readable .out"))
    } else if err.exists() {
        let text = std::fs::read_to_string(&err).expect("readable .err");
        let mut lines = text.lines();
        let status = lines
            .next()
            .and_then(|l| l.strip_prefix("status:"))
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or_else(|| panic!("{}: first line must be `status: N`", err.display()));
        let needles = lines
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.to_string())
            .collect();
        Expect::Err { status, needles }
    } else {
        return None;
    };
    let args = std::fs::read_to_string(nk.with_extension("args"))
        .map(|s| s.split_whitespace().map(String::from).collect())
        .unwrap_or_default();
    let dir = nk.parent().expect("file has a folder").to_path_buf();
    let env = std::fs::read_to_string(nk.with_extension("env"))
        .map(|s| {
            s.lines()
                .filter_map(|l| l.split_once('='))
                .map(|(k, v)| (k.trim().to_string(), dir.join(v.trim())))
                .collect()
        })
        .unwrap_or_default();
    Some(Case {
        nk,
        expect,
        args,
        env,
    })
}

/// What one run printed.
#[derive(PartialEq)]
struct Outcome {
    status: i32,
    stdout: String,
    stderr: String,
}

fn run_case(case: &Case, tier: &str) -> Result<Outcome, String> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nvm"));
    cmd.arg("run");
    match tier {
        "cold" | "warm" => cmd.arg("--tier=jit").arg("--cache-dir").arg(heap_dir()),
        "mixed" => cmd.args(["--tier=auto", "--jit-calls=1", "--no-cache"]),
        t => cmd.arg(format!("--tier={t}")).arg("--no-cache"),
    };
    cmd.arg("--stats=json")
        .arg("--color=never")
        .arg(&case.nk)
        .args(&case.args)
        .env_remove("NVM_PATH")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in &case.env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().map_err(|e| format!("cannot start nvm: {e}"))?;
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if start.elapsed() > TIMEOUT => {
                let _ = child.kill();
                return Err(format!("timed out after {TIMEOUT:?}"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            Err(e) => return Err(format!("wait failed: {e}")),
        }
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let status = out.status.code().unwrap_or(-1);
    if stderr.contains("internal error") || stderr.contains("internal:") {
        return Err(format!("nvm failed internally:\n{stderr}"));
    }
    // The statistics line (last on stderr, when the program ran) is checked, then removed.
    let body_len = stderr.trim_end().rfind('\n').map_or(0, |i| i + 1);
    if stderr[body_len..].starts_with('{') {
        let stats = stderr[body_len..].to_string();
        if tier == "jit" && !stats.contains("\"interpreted\":0,") {
            return Err(format!("Cranelift left functions interpreted: {stats}"));
        }
        if tier == "warm" && !stats.contains("\"compiled\":0,") {
            return Err(format!("a warm run compiled something: {stats}"));
        }
        stderr.truncate(body_len);
    }
    match &case.expect {
        Expect::Out(want) => {
            if status != 0 {
                return Err(format!(
                    "exit status {status}, expected 0\nstderr:\n{stderr}"
                ));
            }
            if stdout != *want {
                return Err(format!(
                    "stdout differs\n--- expected\n{want}--- got\n{stdout}"
                ));
            }
        }
        Expect::Err {
            status: want,
            needles,
        } => {
            if status != *want {
                return Err(format!(
                    "exit status {status}, expected {want}\nstderr:\n{stderr}"
                ));
            }
            for n in needles {
                if !stderr.contains(n.as_str()) {
                    return Err(format!("stderr lacks `{n}`\nstderr:\n{stderr}"));
                }
            }
        }
    }
    Ok(Outcome {
        status,
        stdout,
        stderr,
    })
}

#[test]
fn corpus_runs_identically_on_every_tier() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/programs");
    let mut files = Vec::new();
    collect(&root, &mut files);
    let cases: Vec<Case> = files.into_iter().filter_map(load_case).collect();
    assert!(
        cases.len() >= 120,
        "the corpus shrank to {} programs",
        cases.len()
    );

    let failures = Mutex::new(Vec::new());
    let next = Mutex::new(0usize);
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .max(2);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = {
                    let mut n = next.lock().unwrap();
                    *n += 1;
                    *n - 1
                };
                let Some(case) = cases.get(i) else { break };
                let rel = case.nk.strip_prefix(&root).unwrap_or(&case.nk);
                let mut first: Option<Outcome> = None;
                for tier in TIERS {
                    let e = match run_case(case, tier) {
                        Err(e) => e,
                        Ok(o) => match &first {
                            None => {
                                first = Some(o);
                                continue;
                            }
                            Some(f) if *f == o => continue,
                            Some(f) => format!(
                                "differs from --tier={}:\n--- {}: status {}\n{}{}\n--- {tier}: status {}\n{}{}",
                                TIERS[0], TIERS[0], f.status, f.stdout, f.stderr, o.status, o.stdout, o.stderr
                            ),
                        },
                    };
                    failures
                        .lock()
                        .unwrap()
                        .push(format!("[{tier}] {}: {e}", rel.display()));
                }
            });
        }
    });
    let _ = std::fs::remove_dir_all(heap_dir());
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {} programs failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}
