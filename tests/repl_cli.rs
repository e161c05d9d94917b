//! `nvm repl` driven over a pipe: multi-line entries decided by the lexer, the exit
//! status of a piped session, `:heap` on the folder the command line names, `:time`.

mod support;

use support::{nvm, TempDir};

fn repl(args: &[&str], input: &str) -> support::Output {
    nvm().arg("repl").args(args).stdin(input).run()
}

#[test]
fn a_piped_session_succeeds_only_if_every_entry_did() {
    let out = repl(&["--no-cache"], "let x = 2;\nx * 21\n");
    assert_eq!(
        (out.status, out.stdout.as_str()),
        (0, "42\n"),
        "{}",
        out.stderr
    );
    let out = repl(&["--no-cache"], "print(1);\nnope(2)\nprint(3);\n");
    assert_eq!(
        (out.status, out.stdout.as_str()),
        (1, "1\n3\n"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("nope"), "{}", out.stderr);
    let out = repl(&["--no-cache"], "let x = 1 +;\n:quit\n");
    assert_eq!(out.status, 1, "a syntax error fails too: {}", out.stderr);
}

#[test]
fn strings_with_brackets_and_quotes_do_not_swallow_the_next_lines() {
    let out = repl(
        &["--no-cache"],
        "print(\"a\\\"{\");\nprint(\"(\", 1);\nfn f(x) {\n  # a comment with }\n  return x + 1;\n}\nf(1)\n",
    );
    assert_eq!(
        (out.status, out.stdout.as_str()),
        (0, "a\"{\n( 1\n2\n"),
        "{}",
        out.stderr
    );
    // An unterminated string is an error at once (nk strings end on their line).
    let out = repl(&["--no-cache"], "print(\"abc);\nprint(2);\n");
    assert_eq!(
        (out.status, out.stdout.as_str()),
        (1, "2\n"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("unterminated string"), "{}", out.stderr);
}

#[test]
fn heap_names_the_cache_folder_from_the_command_line_or_environment() {
    let dir = TempDir::new("repl_cli");
    let by_flag = dir.join("flag_heap");
    let by_env = dir.join("env_heap");
    let input = "fn f(n) { let t = 0; for i in 0..n { t += i; } return t; }\nf(10)\n:heap\n";
    let out = nvm()
        .args(["repl", "--cache-dir"])
        .arg(&by_flag)
        .stdin(input)
        .run();
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .contains(&format!("code heap at {}", by_flag.display())),
        "{}",
        out.stdout
    );
    let out = nvm()
        .arg("repl")
        .env("NVM_CACHE_DIR", &by_env)
        .stdin(input)
        .run();
    assert!(
        out.stdout
            .contains(&format!("code heap at {}", by_env.display())),
        "{}",
        out.stdout
    );
    let out = repl(&["--no-cache"], ":heap\n");
    assert!(out.stdout.contains("no code heap"), "{}", out.stdout);
}

#[test]
fn time_reports_wall_time_after_the_entrys_output() {
    let out = repl(
        &["--no-cache"],
        ":time let s = sum(arange(1000)); print(s);\ns\n:help\n",
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], "499500", "{}", out.stdout);
    assert!(lines[1].starts_with("wall time: "), "{}", out.stdout);
    assert_eq!(lines[2], "499500", "the entry's variable persists");
    assert!(out.stdout.contains(":time ENTRY"), "help lists :time");
}
