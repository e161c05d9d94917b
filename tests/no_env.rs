//! The library reads no environment variable: configuration comes in from the edge.
//!
//! `src/main.rs` (the `nvm` command line) reads flags and the environment and passes an
//! `nvm::Options` down; embedders set the same through `EngineBuilder`. Every other file
//! under `src/` must not read the process environment — neither `std::env::var`/`var_os`/
//! `vars` nor `dirs::` (whose folders come from `HOME`/`XDG_*`) nor `getenv`. The one
//! exception is `src/heap/fault.rs`, the code heap's fault injection, which is compiled
//! only with the cargo feature `fault-injection` (checked here too).
//!
//! Text after `//` is ignored (comments and docs may name the variables); `env!(...)` is
//! a compile-time constant, not a read, and is allowed.

mod support;

use std::path::Path;

/// What reads the environment (matched in code, comments stripped).
const READS: &[&str] = &[
    "env::var",      // also env::var_os, env::vars, env::vars_os
    "var_os(",       // after a `use std::env::var_os`
    "env::home_dir", // deprecated, but a read of HOME
    "dirs::",        // user folders come from HOME and XDG_* variables
    "getenv",        // libc
];

/// Files allowed to read the environment (relative to `src/`), and why.
const ALLOWED: &[(&str, &str)] = &[
    (
        "main.rs",
        "the command line: reads flags and environment, fills Options",
    ),
    (
        "heap/fault.rs",
        "test hook NVM_HEAP_FAULT, compiled only with the feature fault-injection",
    ),
];

/// `text` without what follows `//` on each line.
fn strip_comments(text: &str) -> String {
    text.lines()
        .map(|l| l.find("//").map_or(l, |i| &l[..i]))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The environment reads in `text`: (line number, line).
fn reads_in(text: &str) -> Vec<(usize, String)> {
    strip_comments(text)
        .lines()
        .enumerate()
        .filter(|(_, l)| READS.iter().any(|r| l.contains(r)))
        .map(|(i, l)| (i + 1, l.trim().to_string()))
        .collect()
}

/// Every environment read under `src` outside the allowed files, as `file:line: code`.
fn offenders(src: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for file in support::files_with_extension(src, "rs") {
        let rel = file
            .strip_prefix(src)
            .expect("under src")
            .to_string_lossy()
            .replace('\\', "/");
        if ALLOWED.iter().any(|(a, _)| *a == rel) {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("readable source");
        for (line, code) in reads_in(&text) {
            out.push(format!("src/{rel}:{line}: {code}"));
        }
    }
    out
}

#[test]
fn the_library_reads_no_environment_variable() {
    let found = offenders(&support::repo_path("src"));
    assert!(
        found.is_empty(),
        "the library must not read the environment (only src/main.rs does, and passes \
         nvm::Options down; see src/options.rs). Offenders:\n  {}",
        found.join("\n  ")
    );
}

#[test]
fn the_fault_hook_that_may_read_it_is_compiled_only_with_its_feature() {
    let heap = std::fs::read_to_string(support::repo_path("src/heap/mod.rs")).unwrap();
    let code = strip_comments(&heap);
    let lines: Vec<&str> = code.lines().map(str::trim).collect();
    let at = lines
        .iter()
        .position(|l| *l == "mod fault;")
        .expect("src/heap/mod.rs declares `mod fault;`");
    assert!(
        at > 0 && lines[at - 1] == "#[cfg(feature = \"fault-injection\")]",
        "`mod fault;` must be preceded by #[cfg(feature = \"fault-injection\")]"
    );
    for (i, l) in lines.iter().enumerate() {
        if l.contains("fault::") {
            assert!(
                i > 0 && lines[i - 1].contains("cfg(feature = \"fault-injection\")"),
                "src/heap/mod.rs:{}: `{l}` must be behind #[cfg(feature = \"fault-injection\")]",
                i + 1
            );
        }
    }
    let manifest = std::fs::read_to_string(support::repo_path("Cargo.toml")).unwrap();
    assert!(
        !manifest.contains("default = [\"fault-injection\""),
        "fault-injection must stay out of the default features"
    );
}

#[test]
fn the_scan_finds_reads_and_ignores_comments_and_compile_time_env() {
    let text = "\
use std::env;
let a = std::env::var(\"X\");       // a read
let b = env::var_os(\"Y\");
// std::env::var(\"in a comment\") is not a read
/// `NVM_PATH` named in a doc comment
let v = env!(\"CARGO_PKG_VERSION\");
let d = dirs::cache_dir();
let h = unsafe { libc::getenv(p) };
";
    let lines: Vec<usize> = reads_in(text).into_iter().map(|(l, _)| l).collect();
    assert_eq!(lines, vec![2, 3, 7, 8]);
}
