//! The command line's surfaces beyond `run`: `check`, `inspect`, `--stats`.

use std::process::Command;

fn nvm(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_nvm"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn example() -> String {
    format!("{}/examples/caller_callee.nk", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn check_runs_nothing_and_reports_errors_with_status_2() {
    let (code, out, _) = nvm(&["check", &example()]);
    assert_eq!((code, out.as_str()), (0, ""));
    let dir = std::env::temp_dir().join(format!("nvm-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.nk");
    std::fs::write(&bad, "print(1);\nlet x = 1 + true;\nlet y = ;\n").unwrap();
    let (code, out, err) = nvm(&["check", bad.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert_eq!(out, "", "check must not run the script");
    assert!(err.contains("bad.nk:3:9"), "{err}");
}

#[test]
fn inspect_shows_typed_ir_and_bytecode_calling_through_slots() {
    let (code, out, err) = nvm(&["inspect", &example(), "--function", "caller"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("== caller(i64) -> f64"), "{out}");
    assert!(out.contains("-- typed IR"), "{out}");
    assert!(out.contains("-- bytecode"), "{out}");
    // The caller reaches `callee` through a table slot, never by containing its code.
    assert!(out.contains("Call { slot:"), "{out}");
    assert!(
        !out.contains("== callee"),
        "the filter selects by name prefix"
    );
}

#[test]
fn stats_count_calls_and_compiled_specializations() {
    let (code, out, err) = nvm(&["run", "--stats", &example(), "10"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("caller 10 = "), "{out}");
    // <script>, main, caller, callee, sum(f64[]) (from the prelude): each compiled once.
    assert!(
        err.contains("5 specializations compiled to bytecode"),
        "{err}"
    );
}
