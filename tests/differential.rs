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
//! failing program; by default it is reduced line by line and saved as `seed-N.min.nk`).

#[path = "differential/gen.rs"]
mod gen;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const MODES: &[&str] = &["interp", "jit", "auto", "mixed", "cold", "warm"];
/// A run longer than this is a hang (generated programs take milliseconds).
const TIMEOUT: Duration = Duration::from_secs(30);

fn env_u64(key: &str, default: u64) -> u64 {
    match std::env::var(key) {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{key} must be a number, not {v:?}")),
        Err(_) => default,
    }
}

#[derive(PartialEq, Debug)]
struct Outcome {
    status: i32,
    stdout: String,
    stderr: String,
}

/// Runs one program in one mode. `Err` is a failure that needs no comparison (a hang, an
/// internal error, a warm run that compiled, a jit run that left code interpreted).
fn run(
    nvm: &Path,
    prog: &Path,
    args: &[String],
    mode: &str,
    heap: &Path,
) -> Result<Outcome, String> {
    let mut cmd = Command::new(nvm);
    cmd.arg("run");
    match mode {
        "cold" | "warm" => cmd.arg("--tier=jit").arg("--cache-dir").arg(heap),
        "mixed" => cmd.args(["--tier=auto", "--jit-calls=1", "--no-cache"]),
        t => cmd.arg(format!("--tier={t}")).arg("--no-cache"),
    };
    cmd.arg("--stats=json")
        .arg("--color=never")
        .arg(prog)
        .args(args)
        .env_remove("NVM_PATH")
        .env_remove("NVM_JIT_CALLS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| format!("cannot start nvm: {e}"))?;
    // Read both pipes on threads so that a large output cannot block the child.
    let mut so = child.stdout.take().unwrap();
    let mut se = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = std::io::Read::read_to_end(&mut so, &mut v);
        v
    });
    let t_err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = std::io::Read::read_to_end(&mut se, &mut v);
        v
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if start.elapsed() > TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("[{mode}] timed out after {TIMEOUT:?}"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(1)),
            Err(e) => return Err(format!("[{mode}] wait failed: {e}")),
        }
    };
    let stdout = String::from_utf8_lossy(&t_out.join().unwrap()).into_owned();
    let mut stderr = String::from_utf8_lossy(&t_err.join().unwrap()).into_owned();
    let status = status.code().unwrap_or(-1);
    if status == 101 || stderr.contains("internal error") {
        return Err(format!(
            "[{mode}] nvm failed internally (status {status}):\n{stderr}"
        ));
    }
    // The statistics line (last on stderr when the program ran) is checked, then removed.
    let body_len = stderr.trim_end().rfind('\n').map_or(0, |i| i + 1);
    if stderr[body_len..].starts_with('{') {
        let stats = stderr[body_len..].to_string();
        if mode == "jit" && !stats.contains("\"interpreted\":0,") {
            return Err(format!(
                "[jit] Cranelift left functions interpreted: {stats}"
            ));
        }
        if mode == "warm" && !stats.contains("\"compiled\":0,") {
            return Err(format!("[warm] a warm run compiled something: {stats}"));
        }
        stderr.truncate(body_len);
    }
    Ok(Outcome {
        status,
        stdout,
        stderr,
    })
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
    for mode in &MODES[1..] {
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
    let work = std::env::temp_dir().join(format!("nvm-diff-min-{}", std::process::id()));
    let (text, args) = gen::generate(7);
    // A type error at the end of the script.
    let bad = text + "let broken: bool = 1 + 2;\n";
    let nvm = Path::new(env!("CARGO_BIN_EXE_nvm"));
    std::fs::create_dir_all(&work).unwrap();
    let prog = work.join("bad.nk");
    std::fs::write(&prog, &bad).unwrap();
    let report = check(nvm, &prog, &args, &work.join("heap")).expect_err("a type error");
    let min = minimize(nvm, &bad, &args, &work.join("min"), &report);
    let _ = std::fs::remove_dir_all(&work);
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
    let out_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/differential");
    std::fs::create_dir_all(&out_dir).expect("target/differential is writable");
    let work = std::env::temp_dir().join(format!("nvm-diff-{}", std::process::id()));
    std::fs::create_dir_all(&work).expect("a temporary folder");
    // A private copy of the binary: a long run must not see a rebuild half-way (a cold and
    // a warm run from two builds would disagree about the code heap's fingerprint).
    let nvm = work.join("nvm");
    std::fs::copy(env!("CARGO_BIN_EXE_nvm"), &nvm).expect("copy the nvm binary");

    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    let next = AtomicU64::new(0);
    let done = AtomicUsize::new(0);
    let errors = AtomicUsize::new(0);
    let failures: Mutex<Vec<(u64, PathBuf, String)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for job in 0..jobs {
            let (next, done, errors, failures, work, out_dir, nvm) =
                (&next, &done, &errors, &failures, &work, &out_dir, &nvm);
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
    let _ = std::fs::remove_dir_all(&work);
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
