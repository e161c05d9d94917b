//! Differential test: random well-typed nk programs (tests/differential/gen.rs), each run
//! through the built `nvm` under `--tier=interp`, `jit`, `auto`, `mixed` (auto with
//! `--jit-calls=1`) and a code heap (`cold` fills a fresh `--cache-dir`, `warm` must
//! compile nothing). Every run must give the interpreter's stdout, stderr and exit status
//! byte for byte. See tests/differential/README.md.
//!
//! Environment: `NVM_DIFF_SECONDS` (time budget, default 60), `NVM_DIFF_SEED` (first seed,
//! default 1; program k uses seed + k), `NVM_DIFF_COUNT` (at most this many programs),
//! `NVM_DIFF_JOBS` (parallel programs, default 2), `NVM_DIFF_KEEP=1` (save every program
//! under target/differential, not only failing ones), `NVM_DIFF_MINIMIZE=0` (do not reduce a
//! failing program; by default it is reduced line by line and saved as `seed-N.min.nk`),
//! `NVM_DIFF_MODES` (the modes compared with `interp`, e.g. `jit,warm`; default all).

#[path = "differential/gen.rs"]
mod gen;

mod support;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use support::{env_u64, nvm_bin, repo_path, TempDir, TierRun, TIERS as MODES};

/// A run longer than this is a hang (generated programs take milliseconds).
const TIMEOUT: Duration = Duration::from_secs(30);

/// Runs one program in one mode. `Err` is a failure that needs no comparison (a hang, an
/// internal error, a warm run that compiled, a jit run that left code interpreted),
/// tagged with the mode.
fn run(
    nvm: &Path,
    prog: &Path,
    args: &[String],
    mode: &str,
    heap: &Path,
) -> Result<support::Outcome, String> {
    // Three workers for `prange` loops (an odd count: parts of unequal length).
    let env = [("NVM_NUM_THREADS".to_string(), PathBuf::from("3"))];
    let run = TierRun {
        bin: nvm,
        prog,
        args,
        env: &env,
        heap,
        timeout: TIMEOUT,
    };
    run.run(mode).map_err(|e| format!("[{mode}] {e}"))
}

/// Whether `NVM_DIFF_MODES` (a comma-separated list; default: all) asks for `mode`.
fn wanted(mode: &str) -> bool {
    match std::env::var("NVM_DIFF_MODES") {
        Ok(list) if !list.is_empty() => list.split(',').any(|m| m.trim() == mode),
        _ => true,
    }
}

/// Runs `prog` in every mode; `Ok(status)` if all agree with the interpreter.
fn check(nvm: &Path, prog: &Path, args: &[String], heap: &Path) -> Result<i32, String> {
    let _ = std::fs::remove_dir_all(heap);
    let reference = run(nvm, prog, args, "interp", heap)?;
    if reference.status == 2 {
        return Err(format!(
            "the generator wrote a program nvm rejects (status 2):\n{}",
            reference.stderr
        ));
    }
    let mut problems = Vec::new();
    for mode in MODES[1..].iter().filter(|m| wanted(m)) {
        match run(nvm, prog, args, mode, heap) {
            Err(e) => problems.push(e),
            Ok(o) if o == reference => {}
            Ok(o) => problems.push(format!(
                "[{mode}] differs from interp\n--- interp: status {}\n{}{}\n--- {mode}: status {}\n{}{}",
                reference.status,
                reference.stdout,
                reference.stderr,
                o.status,
                o.stdout,
                o.stderr
            )),
        }
    }
    let _ = std::fs::remove_dir_all(heap);
    if problems.is_empty() {
        Ok(reference.status)
    } else {
        Err(problems.join("\n"))
    }
}

/// What kind of failure a report describes (its first line up to the first space: a mode
/// tag such as `[jit]`, or the generator's own complaint), to keep while minimizing.
/// For a program nvm rejects, the first error message.
fn failure_kind(report: &str) -> String {
    let first = report.lines().next().unwrap_or("");
    let tag = first.split(' ').next().unwrap_or(first);
    let error = report.lines().find(|l| l.starts_with("error:"));
    match error {
        Some(e) if first.starts_with("the generator") => format!("{tag} {e}"),
        _ => tag.to_string(),
    }
}

/// Greedy line-based reduction of a failing program: drops single lines, and whole blocks
/// (a line ending in `{` through its closing line), as long as the program still fails the
/// same way. Generated programs have one statement per line, so this gets far.
fn minimize(nvm: &Path, text: &str, args: &[String], dir: &Path, report: &str) -> String {
    std::fs::create_dir_all(dir).expect("a folder for minimizing");
    let prog = dir.join("min.nk");
    let heap = dir.join("heap");
    let kind = failure_kind(report);
    let fails = |lines: &[&str]| {
        std::fs::write(&prog, lines.join("\n") + "\n").expect("write the program");
        match check(nvm, &prog, args, &heap) {
            Err(e) => failure_kind(&e) == kind,
            Ok(_) => false,
        }
    };
    let mut lines: Vec<&str> = text.lines().collect();
    loop {
        let before = lines.len();
        let mut i = lines.len();
        while i > 0 {
            i -= 1;
            if i >= lines.len() {
                continue;
            }
            // The line alone, then (for a block opener) the whole block.
            let mut end = i;
            if lines[i].trim_end().ends_with('{') {
                let mut depth = 0i32;
                for (j, l) in lines.iter().enumerate().skip(i) {
                    depth += l.matches('{').count() as i32 - l.matches('}').count() as i32;
                    if depth <= 0 {
                        end = j;
                        break;
                    }
                }
            }
            for last in [i, end] {
                let mut cand = lines.clone();
                cand.drain(i..=last);
                if fails(&cand) {
                    lines = cand;
                    break;
                }
            }
        }
        if lines.len() == before {
            break;
        }
    }
    let _ = std::fs::remove_dir_all(dir);
    lines.join("\n") + "\n"
}

/// The reducer keeps what makes a program fail and drops the rest (shown here on a
/// program the checker rejects: the generator's failure kind).
#[test]
fn minimizer_keeps_the_failure_and_drops_the_rest() {
    let work = TempDir::new("diff-min");
    let (text, args) = gen::generate(7);
    // A type error at the end of the script.
    let bad = text + "let broken: bool = 1 + 2;\n";
    let nvm = nvm_bin();
    let prog = PathBuf::from(work.file("bad.nk", &bad));
    let report = check(nvm, &prog, &args, &work.join("heap")).expect_err("a type error");
    let min = minimize(nvm, &bad, &args, &work.join("min"), &report);
    drop(work);
    assert!(min.contains("let broken: bool = 1 + 2;"), "{min}");
    assert!(
        min.lines().count() == 1,
        "not minimal ({} lines):\n{min}",
        min.lines().count()
    );
}

#[test]
fn random_programs_agree_on_every_tier() {
    let seconds = env_u64("NVM_DIFF_SECONDS", 60);
    let first = env_u64("NVM_DIFF_SEED", 1);
    let count = env_u64("NVM_DIFF_COUNT", u64::MAX);
    let jobs = env_u64("NVM_DIFF_JOBS", 2).max(1);
    let keep = std::env::var("NVM_DIFF_KEEP").is_ok_and(|v| v == "1");
    let minimize_on = !std::env::var("NVM_DIFF_MINIMIZE").is_ok_and(|v| v == "0");
    let out_dir = repo_path("target/differential");
    std::fs::create_dir_all(&out_dir).expect("target/differential is writable");
    let work = TempDir::new("diff");
    // A private copy of the binary: a long run must not see a rebuild half-way (a cold and
    // a warm run from two builds would disagree about the code heap's fingerprint).
    let nvm = work.join("nvm");
    std::fs::copy(nvm_bin(), &nvm).expect("copy the nvm binary");

    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    let next = AtomicU64::new(0);
    let done = AtomicUsize::new(0);
    let errors = AtomicUsize::new(0);
    let failures: Mutex<Vec<(u64, PathBuf, String)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for job in 0..jobs {
            let (next, done, errors, failures, work, out_dir, nvm) = (
                &next,
                &done,
                &errors,
                &failures,
                work.path(),
                &out_dir,
                &nvm,
            );
            s.spawn(move || loop {
                let k = next.fetch_add(1, Ordering::SeqCst);
                if k >= count || Instant::now() >= deadline || failures.lock().unwrap().len() >= 10
                {
                    break;
                }
                let seed = first.wrapping_add(k);
                let (text, args) = gen::generate(seed);
                let prog = work.join(format!("seed-{seed}.nk"));
                std::fs::write(&prog, &text).expect("write the program");
                let heap = work.join(format!("heap-{job}"));
                let saved = out_dir.join(format!("seed-{seed}.nk"));
                if keep {
                    std::fs::write(&saved, &text).unwrap();
                    std::fs::write(saved.with_extension("args"), args.join(" ")).unwrap();
                }
                match check(nvm, &prog, &args, &heap) {
                    Ok(status) => {
                        if status != 0 {
                            errors.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                    Err(e) => {
                        std::fs::write(&saved, &text).unwrap();
                        std::fs::write(saved.with_extension("args"), args.join(" ")).unwrap();
                        std::fs::write(saved.with_extension("txt"), &e).unwrap();
                        eprintln!(
                            "\nMISMATCH seed {seed} (args: {args:?}), saved as {}\n{e}\n--- program\n{text}",
                            saved.display()
                        );
                        if minimize_on {
                            let min = minimize(nvm, &text, &args, &work.join(format!("min-{job}")), &e);
                            let path = saved.with_extension("min.nk");
                            std::fs::write(&path, &min).unwrap();
                            eprintln!(
                                "seed {seed} minimized ({} of {} lines) as {}:\n{min}",
                                min.lines().count(),
                                text.lines().count(),
                                path.display()
                            );
                        }
                        failures.lock().unwrap().push((seed, saved, e));
                    }
                }
                let _ = std::fs::remove_file(&prog);
                done.fetch_add(1, Ordering::SeqCst);
            });
        }
    });
    drop(work);
    let n = done.load(Ordering::SeqCst);
    let failures = failures.into_inner().unwrap();
    eprintln!(
        "differential: {n} programs (seeds {first}..), {:.1} s, {} ended with a runtime error, {} mismatches",
        start.elapsed().as_secs_f64(),
        errors.load(Ordering::SeqCst),
        failures.len()
    );
    assert!(n > 0, "no program ran");
    assert!(
        failures.is_empty(),
        "{} of {n} programs differ between tiers; seeds {:?}; reproduce one with \
         NVM_DIFF_SEED=<seed> NVM_DIFF_COUNT=1 cargo test --test differential -- --nocapture\n{}",
        failures.len(),
        failures.iter().map(|f| f.0).collect::<Vec<_>>(),
        failures
            .iter()
            .map(|f| format!("seed {} ({}):\n{}", f.0, f.1.display(), f.2))
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}
