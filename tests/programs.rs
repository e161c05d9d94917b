//! The corpus harness: runs every program under tests/programs through the `nvm` binary,
//! once per tier, and compares stdout with `NAME.out` or the failure with `NAME.err`
//! (see tests/programs/README.md for the file conventions). Beyond that, every tier must
//! give exactly the interpreter's stdout, stderr and exit status, and under `--tier=jit`
//! Cranelift must have compiled every function that ran (`--stats=json`). All mismatches
//! are reported together.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;
use support::{corpus_files, corpus_root, nvm_bin, Outcome, TempDir, TierRun, TIERS};

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

/// Runs `case` in `tier` (`heap`: the code heap of `cold` and `warm`) and checks the result
/// against `NAME.out` or `NAME.err`.
fn run_case(case: &Case, tier: &str, heap: &Path) -> Result<Outcome, String> {
    let run = TierRun {
        bin: nvm_bin(),
        prog: &case.nk,
        args: &case.args,
        env: &case.env,
        heap,
        timeout: TIMEOUT,
    };
    let Outcome {
        status,
        stdout,
        stderr,
    } = run.run(tier)?;
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

/// A program's name: its path under tests/programs without `.nk`
/// (`statements/for_negative_ranges_nested`).
fn name_of(nk: &Path) -> String {
    let rel = nk.strip_prefix(corpus_root()).unwrap_or(nk);
    rel.with_extension("").to_string_lossy().into_owned()
}

/// `NVM_PROGRAM`: comma-separated names or name prefixes (`arrays/`, `main/main_`); only
/// the programs they select run. A path as the failure messages print it
/// (`statements/x.nk`, `tests/programs/statements/x.nk`) is accepted too.
fn selection() -> Option<Vec<String>> {
    let v = std::env::var("NVM_PROGRAM").ok()?;
    let prefixes: Vec<String> = v
        .split(',')
        .map(|p| {
            let p = p.trim();
            let p = p.strip_prefix("tests/programs/").unwrap_or(p);
            p.strip_suffix(".nk").unwrap_or(p).to_string()
        })
        .filter(|p| !p.is_empty())
        .collect();
    (!prefixes.is_empty()).then_some(prefixes)
}

#[test]
fn corpus_runs_identically_on_every_tier() {
    let root = corpus_root();
    let mut cases: Vec<Case> = corpus_files().into_iter().filter_map(load_case).collect();
    match selection() {
        None => assert!(
            cases.len() >= 120,
            "the corpus shrank to {} programs",
            cases.len()
        ),
        Some(prefixes) => {
            let all = cases.len();
            cases.retain(|c| {
                let name = name_of(&c.nk);
                prefixes.iter().any(|p| name.starts_with(p.as_str()))
            });
            assert!(
                !cases.is_empty(),
                "NVM_PROGRAM={prefixes:?} selects none of the {all} programs (names are paths \
                 under tests/programs without .nk, e.g. statements/for_negative_ranges_nested)"
            );
            eprintln!(
                "NVM_PROGRAM: {} of {all} programs: {}",
                cases.len(),
                cases
                    .iter()
                    .map(|c| name_of(&c.nk))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    // The code heap of the `cold`/`warm` runs, shared by the whole corpus.
    let heap = TempDir::new("corpus-heap");

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
                    let e = match run_case(case, tier, heap.path()) {
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
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {} programs failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}
