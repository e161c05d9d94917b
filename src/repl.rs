//! The interactive REPL: `nvm` or `nvm repl`.
//!
//! A [`Session`] turns each entry into nk the [`Engine`] runs:
//! - `fn`, `import` and `const` items go into the session's module `repl` (a definition
//!   of an existing name replaces it, so every caller uses the new body from its next
//!   call; callers that no longer type-check are reported when they run);
//! - statements run as the body of a function whose parameters are the session's
//!   variables and whose result is their new values (so `let` persists across entries);
//! - an expression is evaluated the same way and its value printed.
//!
//! The line editor (rustyline) adds history (in a file the caller names: the CLI's is
//! `$XDG_STATE_HOME/nvm/history`; this module reads no environment), multi-line entries
//! (its `Validator`: Enter on an entry whose tokens, by nk's own lexer, leave a `{`, `(`
//! or `[` open starts a new line of it — see [`incomplete`]) and completion of names.
//! Errors are printed and the session goes on; Ctrl-C stops a running evaluation (in
//! either tier: loops check the engine's stop flag, which the SIGINT handler sets) and
//! returns to the prompt; Ctrl-D exits. Piped input ([`piped`]) runs without prompts and
//! ends with status 1 if any entry failed.
//!
//! Commands: `:type`, `:time` (wall time of an entry, over [`Session::eval`]), `:tier`,
//! `:inspect`, `:heap` (the folder given with [`Session::with_heap_dir`]), `:load`,
//! `:help`, `:quit`.

use crate::engine::{Engine, EntryMode, EntryOutcome, Error};
use crate::interp::Value;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// What one entry produced.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Printed output and the value of an expression entry.
    pub out: String,
    /// A diagnostic, if the entry failed.
    pub err: Option<String>,
    /// `:quit`.
    pub quit: bool,
}

/// A REPL session: the engine (whose module `repl` holds the definitions), the
/// variables, and what the entries ran.
pub struct Session {
    engine: Engine,
    vars: Vec<(String, Value)>,
    /// Each specialization's tier when an entry last ran it.
    last_tiers: Vec<(String, &'static str)>,
    /// Entries evaluated so far (the next is `REPL[n+1]` in messages).
    entries: usize,
    /// The code heap's folder, for `:heap` (the one the engine was given).
    heap_dir: Option<std::path::PathBuf>,
}

const HELP: &str = "\
Enter nk statements, expressions (their value is printed) or definitions (fn, const, import).
Enter on an entry with an unclosed { ( [ starts a new line of the same entry.
  :type EXPR     the type of an expression
  :time ENTRY    run an entry, then print its wall time
  :tier FUNC     which tier runs each specialization of a function
  :inspect FUNC  typed IR and bytecode of a function's specializations
  :heap          the code heap: its folder, entries, and this session's hits and misses
  :load FILE     load a module from a file (then use it as NAME.f)
  :help          this text
  :quit          leave (or Ctrl-D)
Keys: Tab completes names; Up/Down and Ctrl-R search the history; Ctrl-C stops a running
entry (or drops the one being typed); Ctrl-D leaves.
";

impl Default for Session {
    fn default() -> Self {
        Session::new(Engine::builder().capture_output().build())
    }
}

impl Session {
    /// A session over `engine` (which should capture output: see
    /// `EngineBuilder::capture_output`).
    pub fn new(engine: Engine) -> Session {
        Session {
            engine,
            vars: Vec::new(),
            last_tiers: Vec::new(),
            entries: 0,
            heap_dir: None,
        }
    }

    /// Names the code heap folder the session's engine uses (give it the folder given to
    /// `EngineBuilder::cache_dir`), which `:heap` describes.
    pub fn with_heap_dir(mut self, dir: Option<std::path::PathBuf>) -> Session {
        self.heap_dir = dir;
        self
    }

    /// Names to complete: functions, variables, keywords.
    pub fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .engine
            .function_names()
            .into_iter()
            .map(|n| n.strip_prefix("repl.").unwrap_or(&n).to_string())
            .collect();
        v.extend(self.vars.iter().map(|(n, _)| n.clone()));
        for k in [
            "fn", "let", "for", "while", "if", "else", "return", "print", "import", "const",
            "true", "false", "break", "continue", "in", "None",
        ] {
            v.push(k.to_string());
        }
        v.sort();
        v.dedup();
        v
    }

    /// Evaluates one entry (complete: balanced brackets). A final expression's value is
    /// printed unless the entry ends with `;` (as in IPython and Julia).
    pub fn eval(&mut self, input: &str) -> Outcome {
        let trimmed = input.trim_end();
        if trimmed.trim().is_empty() {
            return Outcome::default();
        }
        if let Some(cmd) = trimmed.trim_start().strip_prefix(':') {
            return self.command(cmd);
        }
        let display = !trimmed.ends_with(';');
        match self.run_entry(trimmed, EntryMode::Run { display }) {
            Ok(_) => Outcome {
                out: self.engine.take_output(),
                ..Outcome::default()
            },
            Err(e) => Outcome {
                out: self.engine.take_output(),
                err: Some(e.to_string()),
                quit: false,
            },
        }
    }

    /// Runs (or types) an entry as `REPL[n]`; keeps the variables' new values.
    fn run_entry(&mut self, text: &str, mode: EntryMode) -> Result<EntryOutcome, Error> {
        self.entries += 1;
        let name = format!("REPL[{}]", self.entries);
        let r = self
            .engine
            .eval_entry(&name, text, "repl", &self.vars, mode);
        for (n, t) in self.engine.tiers("") {
            if t == "not called yet" {
                continue;
            }
            match self.last_tiers.iter_mut().find(|(m, _)| *m == n) {
                Some(e) => e.1 = t,
                None => self.last_tiers.push((n, t)),
            }
        }
        let mut r = r?;
        for (n, v) in r.vars.take().unwrap_or_default() {
            match self.vars.iter_mut().find(|(m, _)| *m == n) {
                Some(slot) => slot.1 = v,
                None => self.vars.push((n, v)),
            }
        }
        Ok(r)
    }

    fn command(&mut self, cmd: &str) -> Outcome {
        let (name, arg) = match cmd.split_once(char::is_whitespace) {
            Some((n, a)) => (n, a.trim()),
            None => (cmd, ""),
        };
        let ok = |out: String| Outcome {
            out,
            ..Outcome::default()
        };
        let fail = |e: String| Outcome {
            err: Some(e),
            ..Outcome::default()
        };
        match name {
            "q" | "quit" | "exit" => Outcome {
                quit: true,
                ..Outcome::default()
            },
            "help" | "h" => ok(HELP.to_string()),
            "type" | "t" => {
                let is_name = !arg.is_empty()
                    && arg.split('.').all(|p| {
                        !p.is_empty() && p.chars().all(|c| c.is_alphanumeric() || c == '_')
                    });
                let is_var = self.vars.iter().any(|(n, _)| n == arg);
                if is_name && !is_var {
                    let q = if arg.contains('.') {
                        arg.to_string()
                    } else {
                        format!("repl.{arg}")
                    };
                    if let Ok(d) = self.engine.describe_function(&q) {
                        return ok(format!("{d}\n"));
                    }
                }
                match self.run_entry(arg, EntryMode::TypeOnly) {
                    Ok(EntryOutcome {
                        value_type: Some(t),
                        ..
                    }) => ok(format!("{t}\n")),
                    Ok(_) => fail("usage: :type EXPR (an expression or a function name)".into()),
                    Err(e) => fail(e.to_string()),
                }
            }
            "tier" => {
                let q = if arg.contains('.') {
                    arg.to_string()
                } else {
                    format!("repl.{arg}")
                };
                let prefix = format!("{q}(");
                let tiers: Vec<_> = self
                    .last_tiers
                    .iter()
                    .filter(|(n, _)| n.starts_with(&prefix))
                    .collect();
                if tiers.is_empty() {
                    fail(format!(
                        "no specialization of `{arg}` has been made (call it first)"
                    ))
                } else {
                    ok(tiers.iter().map(|(n, t)| format!("{n}: {t}\n")).collect())
                }
            }
            "inspect" => {
                let q = if arg.contains('.') {
                    arg.to_string()
                } else {
                    format!("repl.{arg}")
                };
                match self.engine.inspect(&q) {
                    Ok(t) if t.is_empty() => fail(format!("no specialization of `{arg}` yet")),
                    Ok(t) => ok(t),
                    Err(e) => fail(e.to_string()),
                }
            }
            "heap" => ok(self.heap_text()),
            "time" => self.time(arg),
            "load" => {
                let path = std::path::Path::new(arg);
                let Some(stem) = path.file_stem().map(|s| s.to_string_lossy().into_owned()) else {
                    return fail("usage: :load FILE".into());
                };
                let imported = self.engine.load_file(path).and_then(|()| {
                    self.run_entry(
                        &format!("import {stem};"),
                        EntryMode::Run { display: false },
                    )
                });
                match imported {
                    Ok(_) => ok(format!("loaded {stem}: use its functions as {stem}.NAME\n")),
                    Err(e) => fail(e.to_string()),
                }
            }
            _ => fail(format!("unknown command `:{name}` (try :help)")),
        }
    }
}

/// Commands implemented over the public surface of [`Session`] (kept apart from the
/// evaluation of entries).
impl Session {
    /// `:heap`: the code heap's folder and contents (as `nvm cache stats`), and this
    /// session's use of it.
    fn heap_text(&self) -> String {
        let Some(dir) = &self.heap_dir else {
            return "no code heap in this session (it was started with --no-cache)\n".into();
        };
        let mut t = crate::heap::manage::stats(dir);
        if let Some(h) = self.engine.heap_stats() {
            t.push_str(&format!(
                "this session: {} hits, {} misses, {} entries written, {} bytes loaded\n",
                h.hits, h.misses, h.writes, h.bytes_loaded
            ));
        }
        t
    }

    /// `:time ENTRY`: evaluates the entry and adds its wall time after its output (as
    /// IPython's `%time`); an entry that fails shows its error, not a time.
    fn time(&mut self, entry: &str) -> Outcome {
        if entry.is_empty() {
            return Outcome {
                err: Some("usage: :time ENTRY (a statement, an expression or a definition)".into()),
                ..Outcome::default()
            };
        }
        let started = std::time::Instant::now();
        let mut o = self.eval(entry);
        let wall = started.elapsed();
        if o.err.is_none() {
            o.out
                .push_str(&format!("wall time: {}\n", format_duration(wall)));
        }
        o
    }
}

/// A duration in the unit that keeps 3 significant digits readable: `812 µs`, `4.27 ms`,
/// `1.50 s`.
fn format_duration(d: std::time::Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 1.0 {
        format!("{s:.2} s")
    } else if s >= 1e-3 {
        format!("{:.2} ms", s * 1e3)
    } else {
        format!("{:.0} µs", s * 1e6)
    }
}

/// Whether `text` is the beginning of an entry that continues on the next line: the
/// lexer's tokens leave a `(`, `[` or `{` open. Brackets inside strings and comments do
/// not count. An entry that cannot become valid by adding lines is complete, so its error
/// is shown at once: a lexical error (an unterminated string — nk strings end on their
/// line — or an invalid character) or a closing bracket that matches no opening one.
pub fn incomplete(text: &str) -> bool {
    use crate::syntax::lexer::Token;
    use logos::Logos;
    let mut open: Vec<Token> = Vec::new();
    for token in Token::lexer(text) {
        let closes = match token {
            Err(_) => return false,
            Ok(t @ (Token::LParen | Token::LBracket | Token::LBrace)) => {
                open.push(t);
                continue;
            }
            Ok(Token::RParen) => Token::LParen,
            Ok(Token::RBracket) => Token::LBracket,
            Ok(Token::RBrace) => Token::LBrace,
            Ok(_) => continue,
        };
        if open.pop() != Some(closes) {
            return false;
        }
    }
    !open.is_empty()
}

/// The line editor's helper: completion of names, and multi-line entries (Enter on an
/// [`incomplete`] entry inserts a new line instead of running it).
struct EditorHelper(std::rc::Rc<std::cell::RefCell<Vec<String>>>);

impl rustyline::completion::Completer for EditorHelper {
    type Candidate = String;
    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &rustyline::Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        let start = line[..pos]
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
            .map_or(0, |i| i + 1);
        let word = &line[start..pos];
        let found = self
            .0
            .borrow()
            .iter()
            .filter(|n| n.starts_with(word) && !word.is_empty())
            .cloned()
            .collect();
        Ok((start, found))
    }
}
impl rustyline::hint::Hinter for EditorHelper {
    type Hint = String;
}
impl rustyline::highlight::Highlighter for EditorHelper {}
impl rustyline::validate::Validator for EditorHelper {
    fn validate(
        &self,
        ctx: &mut rustyline::validate::ValidationContext<'_>,
    ) -> rustyline::Result<rustyline::validate::ValidationResult> {
        use rustyline::validate::ValidationResult;
        Ok(if incomplete(ctx.input()) {
            ValidationResult::Incomplete
        } else {
            ValidationResult::Valid(None)
        })
    }
}
impl rustyline::Helper for EditorHelper {}

/// The flag SIGINT sets (made before the handler is installed, never replaced).
static SIGINT_FLAG: std::sync::OnceLock<Arc<AtomicBool>> = std::sync::OnceLock::new();

/// SIGINT during an evaluation: ask the running nk code to stop (it checks at every loop
/// iteration, in both tiers). At the prompt the line editor reads Ctrl-C as a key.
extern "C" fn on_sigint(_: libc::c_int) {
    // Initialized before the handler was installed: `get` is one atomic load.
    if let Some(flag) = SIGINT_FLAG.get() {
        flag.store(true, Ordering::Relaxed);
    }
}

/// Makes SIGINT request an interrupt instead of ending the process; returns the flag it
/// sets (give it to the session's engine: [`crate::engine::EngineBuilder::interrupt_flag`]).
pub fn catch_sigint() -> Arc<AtomicBool> {
    let flag = SIGINT_FLAG
        .get_or_init(|| Arc::new(AtomicBool::new(false)))
        .clone();
    // SAFETY: `on_sigint` only loads an initialized `OnceLock` and stores to an atomic,
    // which are async-signal-safe.
    unsafe { install_sigint(on_sigint) };
    flag
}

/// Makes `handler` the process's SIGINT handler (the REPL's, or `nvm run`'s).
///
/// # Safety
/// `handler` may do only async-signal-safe work (atomics, `_exit`) on state initialized
/// before this call; as a plain function it stays valid for the life of the process.
pub unsafe fn install_sigint(handler: extern "C" fn(libc::c_int)) {
    // SAFETY: `signal` with a valid handler; the caller vouches for what it does.
    unsafe { libc::signal(libc::SIGINT, handler as libc::sighandler_t) };
}

/// Runs the REPL on the terminal (or, when stdin is not one, on its lines: see
/// [`piped`]). On a terminal, earlier entries are read from and saved to the file
/// `history` (the CLI's: `$XDG_STATE_HOME/nvm/history`); Enter on an [`incomplete`] entry
/// continues it on a new line. Returns the exit status: on a terminal 0, piped 1 if any
/// entry failed.
pub fn interactive(session: Session, history: Option<std::path::PathBuf>) -> u8 {
    use std::io::IsTerminal;
    catch_sigint();
    if !std::io::stdin().is_terminal() {
        return piped(session, std::io::stdin().lock(), &mut std::io::stdout());
    }
    on_terminal(session, history)
}

/// Prints what an entry produced: its output to `out` (flushed), its error to stderr.
fn show(out: &mut dyn std::io::Write, o: &Outcome) {
    let _ = out.write_all(o.out.as_bytes());
    let _ = out.flush();
    if let Some(e) = &o.err {
        eprintln!("{}", e.trim_end());
    }
}

/// The REPL over piped input (scripts, tests): no prompts, no history; lines are gathered
/// until the entry is complete ([`incomplete`]). Every entry runs, also after one fails;
/// the status is then 1 (as `python3 < script`), else 0. `:quit` stops early.
pub fn piped(
    mut session: Session,
    input: impl std::io::BufRead,
    out: &mut dyn std::io::Write,
) -> u8 {
    let mut failed = false;
    let mut buf = String::new();
    let mut lines = input.lines();
    loop {
        let line = lines.next();
        match &line {
            Some(Ok(l)) => {
                buf.push_str(l);
                buf.push('\n');
                if incomplete(&buf) {
                    continue;
                }
            }
            // The end (or unreadable input): what is left is the last entry.
            _ if buf.trim().is_empty() => break,
            _ => {}
        }
        let o = session.eval(&std::mem::take(&mut buf));
        show(out, &o);
        failed |= o.err.is_some();
        if o.quit || !matches!(line, Some(Ok(_))) {
            break;
        }
    }
    u8::from(failed)
}

/// The REPL on a terminal: the line editor, its history file, completion.
fn on_terminal(mut session: Session, history: Option<std::path::PathBuf>) -> u8 {
    let names = std::rc::Rc::new(std::cell::RefCell::new(session.names()));
    let mut ed: rustyline::Editor<EditorHelper, rustyline::history::DefaultHistory> =
        match rustyline::Editor::new() {
            Ok(e) => e,
            Err(e) => {
                eprintln!("error: cannot start the line editor: {e}");
                return 1;
            }
        };
    ed.set_helper(Some(EditorHelper(names.clone())));
    if let Some(h) = &history {
        let _ = ed.load_history(h);
    }
    println!(
        "nvm {} — the nk REPL. :help for help, Ctrl-D to leave.",
        env!("CARGO_PKG_VERSION")
    );
    let mut stdout = std::io::stdout();
    loop {
        match ed.readline("nk> ") {
            Ok(entry) => {
                if !entry.trim().is_empty() {
                    let _ = ed.add_history_entry(entry.trim_end());
                }
                let o = session.eval(&entry);
                show(&mut stdout, &o);
                if o.quit {
                    break;
                }
                *names.borrow_mut() = session.names();
            }
            // Ctrl-C at the prompt drops the entry being typed.
            Err(rustyline::error::ReadlineError::Interrupted) => {}
            Err(rustyline::error::ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("error: {e}");
                break;
            }
        }
    }
    if let Some(h) = &history {
        if let Some(d) = h.parent() {
            let _ = std::fs::create_dir_all(d);
        }
        let _ = ed.save_history(h);
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(s: &mut Session, input: &str) -> String {
        let o = s.eval(input);
        match o.err {
            Some(e) => format!("{}ERROR {e}", o.out),
            None => o.out,
        }
    }

    #[test]
    fn variables_definitions_and_expressions_persist_across_entries() {
        let mut s = Session::default();
        assert_eq!(run(&mut s, "let x = 20;"), "");
        assert_eq!(run(&mut s, "x * 2 + 2"), "42\n");
        assert_eq!(run(&mut s, "fn sq(v) { return v * v; }"), "");
        assert_eq!(run(&mut s, "sq(x)"), "400\n");
        assert_eq!(
            run(&mut s, "let a = arange(3) * 1.5; print(sum(a));"),
            "4.5\n"
        );
        assert_eq!(run(&mut s, "a"), "[0.0, 1.5, 3.0]\n");
        assert_eq!(run(&mut s, ":type sq(a)"), "f64[]\n");
        assert!(run(&mut s, "nope(1)").contains("ERROR"));
        assert_eq!(run(&mut s, "x"), "20\n", "an error loses nothing");
    }

    #[test]
    fn a_variable_widened_within_an_entry_keeps_every_assignment() {
        // An untyped `let` takes the type of all its assignments (nk version 2): the entry
        // is lowered again with the wider type, and no assignment is lost.
        let mut s = Session::default();
        assert_eq!(
            run(&mut s, "let s = 0; for i in 0..3 { s += 0.5; } print(s);"),
            "1.5\n"
        );
        assert_eq!(run(&mut s, "s"), "1.5\n");
    }

    #[test]
    fn redefining_a_function_changes_what_its_callers_do() {
        let mut s = Session::default();
        run(&mut s, "fn inner(v: i64) -> i64 { return v + 1; }");
        run(&mut s, "fn outer(v: i64) -> i64 { return inner(v) * 10; }");
        assert_eq!(run(&mut s, "outer(1)"), "20\n");
        run(&mut s, "fn inner(v: i64) -> i64 { return v + 2; }");
        assert_eq!(run(&mut s, "outer(1)"), "30\n");
        assert!(run(&mut s, ":tier outer").contains("outer(i64): "));
        // A new signature a caller cannot use is refused, naming the caller; nothing changes.
        let r = run(&mut s, "fn inner(v: i64) -> bool { return v > 0; }");
        assert!(r.contains("ERROR") && r.contains("REPL[2]"), "{r}");
        assert_eq!(run(&mut s, "outer(1)"), "30\n");
        // Both redefined in one entry: fine.
        run(
            &mut s,
            "fn inner(v: i64) -> bool { return v > 0; }\nfn outer(v: i64) -> i64 { if inner(v) { return 1; } return 0; }",
        );
        assert_eq!(run(&mut s, "outer(5)"), "1\n");
    }

    #[test]
    fn entries_need_no_semicolon_and_errors_point_into_the_entry() {
        let mut s = Session::default();
        assert_eq!(run(&mut s, "let a = arange(5)"), "");
        assert_eq!(run(&mut s, "a"), "[0, 1, 2, 3, 4]\n");
        assert_eq!(run(&mut s, "a;"), "", "a final `;` hides the value");
        assert_eq!(run(&mut s, "print(a[1])"), "1\n");
        assert_eq!(run(&mut s, "print(\"a\\\"{\")"), "a\"{\n");
        // A runtime error: the user's entry and line, no generated names.
        let e = run(&mut s, "let k = 7;\nprint(a[k])");
        assert!(e.contains("REPL[6]:2:7"), "{e}");
        assert!(!e.contains("__"), "{e}");
        // A compile error: the same.
        let e = run(&mut s, "let q = 1 +\ntrue");
        assert!(e.contains("REPL[7]:1:9") && !e.contains("__"), "{e}");
        assert!(run(&mut s, "q").contains("undefined variable"));
        // `:type` of expressions, variables and functions.
        run(&mut s, "fn twice(x) { return x + x; }");
        assert_eq!(
            run(&mut s, ":type twice"),
            "twice(x): not called yet (its types come from the arguments of each call)\n"
        );
        assert_eq!(run(&mut s, "twice(2)"), "4\n");
        assert_eq!(run(&mut s, "twice(a)"), "[0, 2, 4, 6, 8]\n");
        assert_eq!(
            run(&mut s, ":type twice"),
            "repl.twice(i64) -> i64\nrepl.twice(i64[]) -> i64[]\n"
        );
        assert_eq!(run(&mut s, ":type a"), "i64[]\n");
        assert_eq!(run(&mut s, ":type twice(1.5)"), "f64\n");
    }

    #[test]
    fn brackets_decide_whether_an_entry_continues() {
        assert!(incomplete("fn f(x) {"));
        assert!(incomplete("print((1,"));
        assert!(incomplete("fn f(x) {\n  # }\n  let s = \"}\";\n"));
        assert!(!incomplete("fn f(x) { return x; }"));
        assert!(!incomplete("print(\"{\");"));
        assert!(!incomplete("let x = 1; # {"));
        // An escaped quote does not end the string (the hand-written counter thought so).
        assert!(!incomplete("print(\"a\\\"{\");"));
        assert!(incomplete("print(\"a\\\"\", ("));
    }

    #[test]
    fn an_entry_that_more_lines_cannot_fix_is_complete() {
        // nk strings end on their line: an unterminated one is an error now.
        assert!(!incomplete("print(\"abc"));
        assert!(!incomplete("print(\")"));
        // A closing bracket that matches no opening one, an invalid character.
        assert!(!incomplete("f(1, 2]"));
        assert!(!incomplete("{ let x = 1; ) "));
        assert!(!incomplete("let a = (1 + $"));
    }

    fn pipe(input: &str) -> (u8, String) {
        let mut out = Vec::new();
        let status = piped(Session::default(), input.as_bytes(), &mut out);
        (status, String::from_utf8(out).unwrap())
    }

    #[test]
    fn piped_entries_end_where_the_lexer_says_and_a_failure_sets_the_status() {
        let (status, out) = pipe("print(\"a\\\"{\");\nlet x = (1 +\n 2);\nx * 2\n");
        assert_eq!((status, out.as_str()), (0, "a\"{\n6\n"));
        // Entries after a failed one still run; the status says one failed.
        let (status, out) = pipe("print(1);\nnope(1)\nprint(2);\n");
        assert_eq!((status, out.as_str()), (1, "1\n2\n"));
        let (status, out) = pipe("print(1);\n:quit\nprint(2);\n");
        assert_eq!((status, out.as_str()), (0, "1\n"));
        // The last entry needs no final newline; an unclosed one runs (and fails) at the end.
        assert_eq!(pipe("print(3);"), (0, "3\n".to_string()));
        assert_eq!(pipe("print(3,").0, 1);
    }

    #[test]
    fn time_prints_the_wall_time_after_the_output() {
        let mut s = Session::default();
        let out = run(&mut s, ":time let y = sum(arange(100)); print(y);");
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{out}");
        assert_eq!(lines[0], "4950");
        assert!(lines[1].starts_with("wall time: "), "{out}");
        assert!(
            ["µs", "ms", " s"].iter().any(|u| lines[1].ends_with(u)),
            "{out}"
        );
        // The entry's effects stay, as without :time.
        assert_eq!(run(&mut s, "y"), "4950\n");
        assert!(run(&mut s, ":time 1 + 1").starts_with("2\nwall time: "));
        let failed = run(&mut s, ":time nope");
        assert!(
            failed.contains("ERROR") && !failed.contains("wall time"),
            "{failed}"
        );
        assert!(run(&mut s, ":time").contains("usage"));
        assert_eq!(
            format_duration(std::time::Duration::from_micros(812)),
            "812 µs"
        );
        assert_eq!(
            format_duration(std::time::Duration::from_micros(4270)),
            "4.27 ms"
        );
        assert_eq!(
            format_duration(std::time::Duration::from_millis(1500)),
            "1.50 s"
        );
    }

    #[test]
    fn heap_describes_the_folder_the_session_was_given() {
        let mut s = Session::default();
        assert!(run(&mut s, ":heap").contains("no code heap"));
        let dir = std::env::temp_dir().join(format!("nvm-repl-heap-{}", std::process::id()));
        let engine = Engine::builder().capture_output().cache_dir(&dir).build();
        let mut s = Session::new(engine).with_heap_dir(Some(dir.clone()));
        run(
            &mut s,
            "fn f(n) { let t = 0; for i in 0..n { t += i; } return t; }",
        );
        assert_eq!(run(&mut s, "f(10)"), "45\n");
        let out = run(&mut s, ":heap");
        let _ = std::fs::remove_dir_all(&dir);
        assert!(
            out.starts_with(&format!("code heap at {}\n", dir.display())),
            "{out}"
        );
        assert!(out.contains("this session"), "{out}");
    }
}
