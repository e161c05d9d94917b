//! No input crashes nvm: mutated corpus programs through the whole front end, binary
//! junk, pathological nesting, and the panic guard of the `nvm` binary itself.

mod support;

use nvm::driver;
use support::{corpus_files, nvm, TempDir};

/// A small deterministic generator (xorshift) so failures reproduce.
struct Rand(u64);
impl Rand {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// The corpus programs' texts, sorted.
fn corpus() -> Vec<String> {
    let mut out: Vec<String> = corpus_files()
        .iter()
        .map(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned())
        .collect();
    out.sort();
    out
}

const TOKENS: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ";",
    ",",
    ":",
    ".",
    "..",
    "=",
    "+=",
    "**",
    "-",
    "fn",
    "let",
    "return",
    "if",
    "else",
    "for",
    "in",
    "while",
    "x",
    "0",
    "1.5",
    "\"s\"",
    "true",
    "zeros(3)",
    "print",
    "import",
    "const",
    "99999999999999999999",
    "\u{0}",
    "é",
    "#",
];

#[test]
fn mutated_programs_never_panic_the_front_end() {
    let mut rng = Rand(0x9e37_79b9_7f4a_7c15);
    for src in corpus() {
        for _ in 0..12 {
            let mut s: Vec<char> = src.chars().collect();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(s.len() + 1);
                match rng.below(3) {
                    0 if !s.is_empty() => {
                        let end = (at + 1 + rng.below(8)).min(s.len());
                        s.drain(at.min(s.len() - 1)..end);
                    }
                    _ => {
                        let t = TOKENS[rng.below(TOKENS.len())];
                        s.splice(at..at, t.chars());
                    }
                }
            }
            let text: String = s.into_iter().collect();
            // Checking must return Ok or a rendered error — never panic.
            let r = std::panic::catch_unwind(|| driver::check_source("m.nk", &text).is_ok());
            assert!(r.is_ok(), "front end panicked on:\n{text}");
        }
    }
}

#[test]
fn binary_junk_is_a_syntax_error() {
    let mut rng = Rand(42);
    for _ in 0..200 {
        let bytes: Vec<u8> = (0..rng.below(300)).map(|_| rng.next() as u8).collect();
        let text = String::from_utf8_lossy(&bytes);
        let r = std::panic::catch_unwind(|| driver::check_source("junk.nk", &text).is_ok());
        assert!(r.is_ok(), "panicked on junk {bytes:?}");
    }
}

/// Runs source through the whole pipeline on a stack as large as the CLI's (pathological
/// inputs are big enough to need it).
fn run_on_cli_stack(src: String) -> Result<String, driver::Failure> {
    std::thread::Builder::new()
        .stack_size(512 << 20)
        .spawn(move || driver::run_source("chain.nk", &src, &[]))
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn long_operator_chains_are_fine() {
    let out = run_on_cli_stack(format!("print({}1);", "1 + ".repeat(5_000)));
    match out {
        Ok(o) => assert_eq!(o, "5001\n"),
        Err(e) => assert!(e.message().contains("nested more than"), "{}", e.message()),
    }
}

#[test]
fn a_panic_is_reported_as_a_bug_not_a_crash() {
    let out = nvm().arg("internal-panic").run();
    assert_eq!(out.code, Some(101));
    let err = &out.stderr;
    assert!(
        err.contains("internal error (this is a bug in nvm"),
        "{err}"
    );
}

#[test]
fn usage_errors_are_clear() {
    let out = nvm().args(["run", "/no/such/file.nk"]).run();
    assert_eq!(out.code, Some(2));
    assert!(out.stderr.contains("cannot read `/no/such/file.nk`"));
    let out = nvm().arg("frobnicate").run();
    assert_eq!(out.code, Some(2));
    let out = nvm().arg("--version").run();
    assert!(out.stdout.starts_with("nvm "));
}

/// Mutated programs that still pass the checker are run too: whatever they do, nvm must
/// end with a result or a clean error — never a panic or a signal. (A mutation may loop
/// forever; such a run is stopped after a few seconds and not counted against nvm.)
#[test]
fn mutated_programs_that_check_also_run_without_crashing() {
    let dir = TempDir::new("mutants");
    let mut rng = Rand(0x5eed);
    let mut mutants = Vec::new();
    let sources = corpus();
    for src in &sources {
        for _ in 0..6 {
            let mut s: Vec<char> = src.chars().collect();
            if s.is_empty() {
                continue;
            }
            // Small, type-preserving-ish edits: swap a digit or an operator.
            for _ in 0..2 {
                let at = rng.below(s.len());
                let c = s[at];
                s[at] = match c {
                    '0'..='9' => char::from(b'0' + rng.below(10) as u8),
                    '+' | '-' | '*' => ['+', '-', '*'][rng.below(3)],
                    '<' | '>' => ['<', '>'][rng.below(2)],
                    _ => c,
                };
            }
            let text: String = s.into_iter().collect();
            if text != *src && driver::check_source("m.nk", &text).is_ok() {
                mutants.push(text);
            }
        }
    }
    assert!(
        mutants.len() > 100,
        "too few runnable mutants: {}",
        mutants.len()
    );
    for (i, text) in mutants.iter().enumerate().take(250) {
        let path = dir.file(&format!("m{i}.nk"), text);
        let out = nvm()
            .arg("run")
            .arg("--cache-dir") // mutants exercise a code heap too, never the user's
            .arg(dir.heap())
            .arg(&path)
            .timeout(std::time::Duration::from_secs(3))
            .output();
        if out.timed_out {
            continue;
        }
        let (status, err) = (out.exit, &out.stderr);
        assert!(
            matches!(status.code(), Some(0..=2)),
            "mutant {path} ended with {status:?}:\n{err}\n--- program:\n{text}"
        );
    }
}

/// Regression: a long `else if` chain is one statement, whose condition temporaries once
/// piled up until the script needed more than 65 536 registers (and name lookup walked
/// every enclosing scope). It must compile and run.
#[test]
fn a_seventy_thousand_branch_else_if_chain_runs() {
    let n = 70_000;
    let mut src = String::from("let x = 69998;\nif x == 0 { print(0); }");
    for i in 1..n {
        src.push_str(&format!(" else if x == {i} {{ print({i}); }}"));
    }
    src.push_str(" else { print(-1); }\n");
    let out = run_on_cli_stack(src);
    assert_eq!(out.map_err(|e| e.message().to_string()).unwrap(), "69998\n");
}
