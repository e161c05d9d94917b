//! The command line's surfaces beyond `run`: `check`, `inspect`, `--stats`, tier
//! selection, and the native tier's memory behaviour.

mod support;

use std::sync::OnceLock;
use support::{nvm as nvm_cmd, repo_path, Stats, TempDir};

/// This process's folder: the code heap it names in `NVM_CACHE_DIR` (never the user's)
/// and the scripts the tests write.
fn dir() -> &'static TempDir {
    static DIR: OnceLock<TempDir> = OnceLock::new();
    DIR.get_or_init(|| TempDir::new("cli"))
}

fn heap() -> String {
    dir().heap()
}

fn nvm(args: &[&str]) -> (i32, String, String) {
    let out = nvm_cmd().args(args).env("NVM_CACHE_DIR", heap()).run();
    (out.status, out.stdout, out.stderr)
}

/// Writes `text` to a fresh file in this process's temporary folder.
fn script(name: &str, text: &str) -> String {
    dir().file(name, text)
}

/// Runs with `--stats=json` and returns (status, stdout, the stats).
fn run_stats(args: &[&str], env: &[(&str, &str)]) -> (i32, String, Stats) {
    let out = nvm_cmd()
        .arg("run")
        .arg("--stats=json")
        .args(if args.iter().any(|a| a.starts_with("--cache-dir")) {
            &[][..]
        } else {
            &["--no-cache"][..]
        })
        .args(args)
        .env("NVM_CACHE_DIR", heap())
        .envs(env.iter().copied())
        .run();
    let stats = out.try_stats();
    assert!(stats.is_some(), "no JSON stats line: {}", out.stderr);
    (out.status, out.stdout, stats.unwrap())
}

fn example() -> String {
    support::path_str(&repo_path("examples/caller_callee.nk"))
}

#[test]
fn check_runs_nothing_and_reports_errors_with_status_2() {
    let (code, out, _) = nvm(&["check", &example()]);
    assert_eq!((code, out.as_str()), (0, ""));
    let bad = script("bad.nk", "print(1);\nlet x = 1 + true;\nlet y = ;\n");
    let (code, out, err) = nvm(&["check", &bad]);
    assert_eq!(code, 2);
    assert_eq!(out, "", "check must not run the script");
    assert!(err.contains("bad.nk:3:9"), "{err}");
}

#[test]
fn inspect_shows_typed_ir_and_bytecode_calling_through_slots() {
    let (code, out, err) = nvm(&["inspect", &example(), "caller"]);
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
fn inspect_emits_cranelift_ir_and_machine_code_calling_only_through_the_table() {
    let (code, out, err) = nvm(&[
        "inspect",
        &example(),
        "caller",
        "--args",
        "i64",
        "--emit",
        "clif,asm",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("== caller(i64) -> f64"), "{out}");
    assert!(
        out.contains("-- Cranelift IR") && out.contains("function %"),
        "{out}"
    );
    assert!(out.contains("-- machine code"), "{out}");
    assert!(
        !out.contains("-- typed IR"),
        "only what --emit asks for: {out}"
    );
    // Every call is indirect, through a pointer loaded from the context: no callee
    // address or code is embedded.
    assert!(out.contains("call_indirect"), "{out}");
    assert!(!out.contains(" call fn"), "{out}");
    // An argument list that matches no specialization names the ones there are.
    let (code, _, err) = nvm(&["inspect", &example(), "caller", "--args", "f64"]);
    assert_eq!(code, 1);
    assert!(err.contains("caller(i64)"), "{err}");
}

#[test]
fn stats_count_specializations_per_tier_in_text_and_json() {
    let (code, out, err) = nvm(&["run", "--stats", "--tier=interp", &example(), "10"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("caller 10 = "), "{out}");
    // <script>, main, caller, callee, sum(f64[]) (from the prelude).
    assert!(
        err.contains("5 specializations ran: 5 interpreted, 0 compiled by Cranelift"),
        "{err}"
    );
    for (tier, interpreted, compiled) in [("interp", 5.0, 0.0), ("jit", 0.0, 5.0)] {
        let (code, out2, stats) = run_stats(&[&format!("--tier={tier}"), &example(), "10"], &[]);
        assert_eq!(code, 0);
        assert_eq!(out2, out, "same output in every tier");
        assert_eq!(stats.num("specializations"), 5.0);
        assert_eq!(stats.num("interpreted"), interpreted, "{tier}: {stats:?}");
        assert_eq!(stats.num("compiled"), compiled, "{tier}: {stats:?}");
        assert_eq!(compiled > 0.0, stats.num("compile_ms") > 0.0);
        // The run waits for its first function's code at least; never longer than it ran.
        let waited = stats.num("compile_wait_ms");
        assert_eq!(compiled > 0.0, waited > 0.0, "{tier}: {stats:?}");
        assert!(waited <= stats.num("wall_ms"), "{tier}: {stats:?}");
        assert_eq!(stats.field("not_compiled"), "[]");
        assert!(stats.num("wall_ms") > 0.0);
    }
}

const HOT_CALLS: &str = "fn sq(x: i64) -> i64 { return x * x; }\n\
    let s = 0;\nlet n = 0;\nwhile n < 60 { s = s + sq(n); n = n + 1; }\nprint(s);\n";

#[test]
fn auto_compiles_loops_at_once_and_other_functions_once_hot() {
    let path = script("hot.nk", HOT_CALLS);
    // The script has a loop: compiled at its first call. `sq` has none: compiled after
    // `--jit-calls` interpreted calls, unless that is more than it gets.
    let (_, out, stats) = run_stats(&["--jit-calls=10", &path], &[]);
    assert_eq!(out, "70210\n");
    assert_eq!(
        (stats.num("compiled"), stats.num("interpreted")),
        (2.0, 0.0)
    );
    let (_, out, stats) = run_stats(&["--jit-calls=100", &path], &[]);
    assert_eq!(out, "70210\n");
    assert_eq!(
        (stats.num("compiled"), stats.num("interpreted")),
        (1.0, 1.0)
    );
    // The environment variable sets the same threshold; the flag wins over it.
    let (_, _, stats) = run_stats(&[&path], &[("NVM_JIT_CALLS", "10")]);
    assert_eq!(stats.num("compiled"), 2.0);
    let (_, _, stats) = run_stats(&["--jit-calls=100", &path], &[("NVM_JIT_CALLS", "10")]);
    assert_eq!(stats.num("compiled"), 1.0);
    let out = nvm_cmd()
        .args(["run", "--no-cache", &path])
        .env("NVM_JIT_CALLS", "lots")
        .run();
    assert_eq!(out.code, Some(2));
    assert!(out.stderr.contains("NVM_JIT_CALLS"));
}

/// Peak RSS (KiB) of a run that makes `n` temporary arrays of 1,000 elements.
fn temporaries_peak_kib(tier: &str, n: u64) -> f64 {
    let path = script(
        &format!("temps_{tier}_{n}.nk"),
        "fn churn(n: i64) -> f64 {\n    let s = 0.0;\n    for i in 0..n {\n        \
         let t = zeros(1000) + 1.0;\n        s += t[i % 1000];\n    }\n    return s;\n}\n\
         fn main(n: i64) { print(churn(n)); }\n",
    );
    let (code, out, stats) = run_stats(&[&format!("--tier={tier}"), &path, &n.to_string()], &[]);
    assert_eq!(code, 0);
    assert_eq!(out.trim(), format!("{n}.0"));
    stats.num("peak_rss_kib")
}

#[test]
fn a_million_temporary_arrays_keep_memory_bounded_in_every_tier() {
    // 10^6 arrays of 8 KB would be 8 GB if any were leaked; the peak must stay where a
    // run of 10^3 arrays peaks, give or take allocator noise.
    for tier in ["jit", "auto", "interp"] {
        let small = temporaries_peak_kib(tier, 1_000);
        let large = temporaries_peak_kib(tier, 1_000_000);
        assert!(
            large < small + 16.0 * 1024.0,
            "{tier}: peak RSS {large} KiB for 10^6 temporaries vs {small} KiB for 10^3"
        );
    }
}

#[test]
fn the_repl_runs_piped_entries_and_keeps_going_after_errors() {
    let input = "let x = 20;\n\
                 fn inner(v: i64) -> i64 { return v + 1; }\n\
                 fn outer(v: i64) -> i64 {\n    return inner(v) * 10;\n}\n\
                 outer(x)\n\
                 fn inner(v: i64) -> i64 { return v + 2; }\n\
                 outer(x)\n\
                 x + undefined_name\n\
                 let a = linspace(0.0, 1.0, 3);\n\
                 print(a * 2.0);\n\
                 :type a[0] > 0.5\n\
                 :tier outer\n\
                 :help\n\
                 :quit\n\
                 print(\"not reached\");\n";
    let out = nvm_cmd().args(["repl", "--no-cache"]).stdin(input).run();
    let (stdout, stderr) = (&out.stdout, &out.stderr);
    // Every entry ran, but one failed: status 1, as `python3 < script`.
    assert_eq!(out.code, Some(1), "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    // outer(x) before and after `inner` is redefined: callers use the new body.
    assert_eq!(
        &lines[..4],
        &["210", "220", "[0.0, 1.0, 2.0]", "bool"],
        "{stdout}"
    );
    assert!(lines[4].starts_with("repl.outer(i64): "), "{stdout}");
    assert!(
        stdout.contains(":inspect FUNC"),
        "help is printed: {stdout}"
    );
    assert!(!stdout.contains("not reached"));
    assert!(stderr.contains("undefined_name"), "{stderr}");
}

#[test]
fn ctrl_c_stops_a_running_loop_in_either_tier_and_the_repl_goes_on() {
    for tier in ["interp", "jit"] {
        let mut child = nvm_cmd()
            .args(["repl", "--no-cache", &format!("--tier={tier}")])
            .stdin(&b"let n = 0;\nwhile n >= 0 { n = (n + 1) % 1000; }\nprint(\"after\", n + 1);\n"[..])
            .spawn();
        // Ctrl-C until the REPL has finished (a signal before the loop started is
        // harmless: the next one stops it); give up after a while rather than hang.
        while child.try_wait().is_none() {
            if child.elapsed() > std::time::Duration::from_secs(60) {
                child.kill();
                panic!("{tier}: hangs");
            }
            std::thread::sleep(std::time::Duration::from_millis(300));
            child.interrupt();
        }
        let out = child.wait();
        let (stdout, stderr) = (&out.stdout, &out.stderr);
        // The interrupted entry failed: the piped session's status is 1.
        assert_eq!(out.code, Some(1), "{tier}: {stderr}");
        assert!(stderr.contains("interrupted"), "{tier}: {stderr}");
        // The loop's variable kept its value from before the loop: the entry was undone.
        assert_eq!(stdout, "after 1\n", "{tier}: {stderr}");
    }
}

/// `nvm run` stopped by Ctrl-C with stdout a pipe (block-buffered): what the script
/// printed before the loop still arrives, stderr says "interrupted", the status is 130 (as
/// a shell reports a process ended by SIGINT, and as Python after KeyboardInterrupt).
#[test]
fn ctrl_c_during_run_flushes_the_output_and_exits_130_in_either_tier() {
    let endless = script(
        "endless.nk",
        "print(\"before\");\nfor i in 0..3 { print(i); }\nfn spin(n: i64) -> i64 {\n    while n >= 0 { n = (n + 1) % 1000; }\n    return n;\n}\nprint(spin(0));\n",
    );
    for tier in ["interp", "jit"] {
        // One SIGINT, once the loop runs; an interrupt that came before the run started
        // (a slow machine) is retried with a longer wait.
        let mut wait = std::time::Duration::from_millis(500);
        let out = loop {
            let child = nvm_cmd()
                .args(["run", "--no-cache", &format!("--tier={tier}"), &endless])
                .spawn();
            std::thread::sleep(wait);
            child.interrupt();
            let out = child.wait();
            assert!(!out.timed_out, "{tier}: one SIGINT must stop the run");
            if out.stdout.is_empty() && wait.as_secs() < 20 {
                wait *= 2;
                continue;
            }
            break out;
        };
        assert_eq!(out.code, Some(130), "{tier}: {}", out.stderr);
        assert_eq!(out.stdout, "before\n0\n1\n2\n", "{tier}: {}", out.stderr);
        assert!(out.stderr.contains("interrupted"), "{tier}: {}", out.stderr);
        assert!(
            out.stderr.contains("endless.nk:4:"),
            "{tier}: the loop is named: {}",
            out.stderr
        );
    }
}

/// The environment variables the README documents reach the library through the CLI
/// (which alone reads them): `NVM_PATH` for `run` and `check`, after the script's own
/// folder, in order.
#[test]
fn imports_are_found_in_nvm_path_folders_after_the_scripts_own() {
    let root = dir().join("nvm_path");
    for sub in ["script", "first", "second"] {
        std::fs::create_dir_all(root.join(sub)).unwrap();
    }
    let write = |rel: &str, text: &str| std::fs::write(root.join(rel), text).unwrap();
    write("script/main.nk", "import helper;\nprint(helper.f(21));\n");
    write(
        "second/helper.nk",
        "fn f(x: i64) -> i64 { return 2 * x; }\n",
    );
    let main = support::path_str(&root.join("script/main.nk"));
    let path = |dirs: &[&str]| {
        std::env::join_paths(dirs.iter().map(|d| root.join(d)))
            .unwrap()
            .into_string()
            .unwrap()
    };
    let run = |cmd: &str, nvm_path: Option<String>| {
        let mut c = match cmd {
            "check" => nvm_cmd().args([cmd, &main]),
            _ => nvm_cmd().args([cmd, "--no-cache", &main]),
        };
        if let Some(p) = nvm_path {
            c = c.env("NVM_PATH", p);
        }
        let out = c.run();
        (out.status, out.stdout, out.stderr)
    };
    let (code, _, err) = run("run", None);
    assert_eq!(code, 2, "no NVM_PATH: `helper` is not found: {err}");
    assert!(err.contains("helper"), "{err}");
    let (code, _, err) = run("check", None);
    assert_eq!(code, 2, "{err}");
    assert_eq!(run("check", Some(path(&["first", "second"]))).0, 0);
    assert_eq!(
        run("run", Some(path(&["first", "second"]))).1,
        "42\n",
        "found in the second folder"
    );
    write("first/helper.nk", "fn f(x: i64) -> i64 { return 3 * x; }\n");
    assert_eq!(
        run("run", Some(path(&["first", "second"]))).1,
        "63\n",
        "the first folder wins"
    );
    write("script/helper.nk", "fn f(x: i64) -> i64 { return x; }\n");
    assert_eq!(
        run("run", Some(path(&["first", "second"]))).1,
        "21\n",
        "the script's own folder comes before NVM_PATH"
    );
}

/// `NVM_PERF_MAP` names compiled code in `/tmp/perf-PID.map`; `NVM_DUMP_OPT` prints the
/// optimized Cranelift IR to stderr. Neither does anything unset.
#[test]
fn perf_map_and_dump_opt_follow_their_environment_variables() {
    let path = script(
        "perf.nk",
        "fn sq(x: i64) -> i64 { return x * x; }\nprint(sq(7));\n",
    );
    // `/tmp/perf-PID.map` and `/tmp/perf-PID-ADDR.bin`.
    let files = |pid: u32| -> Vec<std::path::PathBuf> {
        let (map, bin) = (format!("perf-{pid}.map"), format!("perf-{pid}-"));
        std::fs::read_dir("/tmp")
            .unwrap()
            .flatten()
            .filter(|e| {
                let n = e.file_name().to_string_lossy().into_owned();
                n == map || n.starts_with(&bin)
            })
            .map(|e| e.path())
            .collect()
    };
    for on in [false, true] {
        let mut c = nvm_cmd().args(["run", "--tier=jit", "--no-cache", &path]);
        if on {
            c = c.env("NVM_PERF_MAP", "1").env("NVM_DUMP_OPT", "1");
        }
        let child = c.spawn();
        let pid = child.pid();
        let out = child.wait();
        assert_eq!(
            (out.status, out.stdout.as_str()),
            (0, "49\n"),
            "{}",
            out.stderr
        );
        let written = files(pid);
        let map = std::fs::read_to_string(format!("/tmp/perf-{pid}.map")).unwrap_or_default();
        for f in &written {
            let _ = std::fs::remove_file(f);
        }
        if on {
            assert!(map.contains(" nk::sq(i64)"), "perf map: {map:?}");
            assert!(written.len() >= 2, "the map and each function's bytes");
            assert!(out.stderr.contains("function "), "{}", out.stderr);
        } else {
            assert!(written.is_empty(), "{written:?}");
            assert_eq!(out.stderr, "");
        }
    }
}

/// `nvm run -` reads the script from stdin: messages name it `<stdin>`, its imports are
/// found in the working folder, `main` takes its arguments as usual; `check -` too.
#[test]
fn run_dash_reads_the_script_from_stdin() {
    let root = dir().join("stdin_script");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(
        root.join("helper.nk"),
        "fn f(x: i64) -> i64 { return 2 * x; }\n",
    )
    .unwrap();
    let out = nvm_cmd()
        .args(["run", "--no-cache", "-", "21"])
        .current_dir(&root)
        .stdin("import helper;\nfn main(n: i64) { print(helper.f(n)); }\n")
        .run();
    assert_eq!(
        (out.status, out.stdout.as_str()),
        (0, "42\n"),
        "{}",
        out.stderr
    );
    let out = nvm_cmd()
        .args(["run", "--no-cache", "-"])
        .stdin("print(1);\nlet a = zeros(2);\nprint(a[5]);\n")
        .run();
    assert_eq!(out.status, 1, "{}", out.stderr);
    assert_eq!(out.stdout, "1\n");
    assert!(out.stderr.contains("<stdin>:3:7"), "{}", out.stderr);
    let out = nvm_cmd().args(["check", "-"]).stdin("print(1 +);\n").run();
    assert_eq!(out.status, 2, "{}", out.stderr);
    assert!(out.stderr.contains("<stdin>:1:"), "{}", out.stderr);
}

/// An empty `NVM_CACHE_DIR` is unset (the default folder, never the working folder), as
/// are empty `NVM_PATH` entries and an empty `NVM_JIT_CALLS`.
#[test]
fn empty_environment_variables_count_as_unset() {
    let work = dir().join("empty_env");
    let home = dir().join("empty_env_home");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(
        work.join("s.nk"),
        "fn f(n: i64) { let s = 0; for i in 0..n { s += i; } print(s); }\nf(10);\n",
    )
    .unwrap();
    let out = nvm_cmd()
        .args(["run", "s.nk"])
        .current_dir(&work)
        .env("NVM_CACHE_DIR", "")
        .env("NVM_PATH", "")
        .env("NVM_JIT_CALLS", "")
        // The default cache folder: under this fake home, not the user's.
        .env("HOME", &home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .run();
    assert_eq!(
        (out.status, out.stdout.as_str()),
        (0, "45\n"),
        "{}",
        out.stderr
    );
    let left: Vec<_> = std::fs::read_dir(&work)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        left,
        vec![std::ffi::OsString::from("s.nk")],
        "nothing written into the working folder"
    );
    assert!(
        home.join("cache/nvm").is_dir(),
        "the default heap folder is used"
    );
    // `:` splits NVM_PATH into empty entries, which are skipped (not the working folder).
    std::fs::write(work.join("helper.nk"), "fn f() { print(1); }\n").unwrap();
    std::fs::create_dir_all(work.join("script")).unwrap();
    std::fs::write(work.join("script/m.nk"), "import helper;\nhelper.f();\n").unwrap();
    let out = nvm_cmd()
        .args(["check", "script/m.nk"])
        .current_dir(&work)
        .env("NVM_PATH", ":")
        .run();
    assert_eq!(out.status, 2, "an empty entry is not `.`: {}", out.stderr);
}

/// `nvm completions SHELL` prints a completion script (clap_complete) that knows the
/// subcommands and not the hidden one.
#[test]
fn completions_print_a_script_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let (code, out, err) = nvm(&["completions", shell]);
        assert_eq!(code, 0, "{shell}: {err}");
        for sub in [
            "run",
            "build",
            "cache",
            "repl",
            "check",
            "inspect",
            "completions",
        ] {
            assert!(out.contains(sub), "{shell}: no `{sub}` in:\n{out}");
        }
        assert!(
            !out.contains("internal-panic"),
            "{shell}: hidden commands are not offered"
        );
    }
    let (_, bash, _) = nvm(&["completions", "bash"]);
    assert!(
        bash.contains("_nvm()") && bash.contains("complete -F _nvm"),
        "{bash}"
    );
    assert!(
        bash.contains("--tier") && bash.contains("--cache-dir"),
        "{bash}"
    );
    let (code, _, _) = nvm(&["completions", "tcsh"]);
    assert_eq!(code, 2, "an unknown shell is a usage error");
}

#[test]
fn repeat_calls_main_again_in_one_process_and_times_each_call() {
    // `main` runs three times after the script body ran once; each call is timed.
    let path = script(
        "repeat.nk",
        "print(\"body\");\nfn main(n: i64) {\n    let a = zeros(n) + 1.0;\n    print(sum(a));\n}\n",
    );
    for tier in ["--tier=interp", "--tier=jit"] {
        let (code, out, stats) = run_stats(&[tier, "--repeat", "3", &path, "1000"], &[]);
        assert_eq!(code, 0, "{tier}");
        assert_eq!(out, "body\n1000.0\n1000.0\n1000.0\n", "{tier}");
        let v: serde_json::Value = serde_json::from_str(&stats.line).expect(&stats.line);
        let calls = v["main_ms"].as_array().expect("main_ms is a list");
        assert_eq!(calls.len(), 3, "{}", stats.line);
        let total: f64 = calls.iter().map(|c| c.as_f64().unwrap()).sum();
        assert!(calls.iter().all(|c| c.as_f64().unwrap() >= 0.0));
        assert!(total <= stats.num("wall_ms"), "{}", stats.line);
    }
    // Once by default; a script without `main` has nothing to repeat.
    let (code, _, stats) = run_stats(&[&path, "5"], &[]);
    assert_eq!(code, 0);
    assert_eq!(
        stats.field("main_ms").matches(',').count(),
        0,
        "{}",
        stats.line
    );
    let body = script("repeat_body.nk", "print(1);\n");
    let (code, out, err) = nvm(&["run", "--repeat", "2", &body]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(
        err.contains("`--repeat 2` calls `main` again, but the script has no `fn main`"),
        "{err}"
    );
    let (code, _, err) = nvm(&["run", "--repeat", "0", &path, "1"]);
    assert_eq!(code, 2, "{err}");
    // A runtime error stops the repetition at the failing call.
    let failing = script(
        "repeat_fail.nk",
        "fn main(n: i64) {\n    print(n);\n    let a = zeros(2);\n    print(a[n]);\n}\n",
    );
    let (code, out, stats) = run_stats(&["--repeat", "4", &failing, "5"], &[]);
    assert_eq!((code, out.as_str()), (1, "5\n"));
    assert_eq!(
        stats.field("main_ms").matches(',').count(),
        0,
        "{}",
        stats.line
    );
}
