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
//! The line editor (rustyline) adds history (in a file the caller names: the CLI's is in
//! the user's data folder; this module reads no environment), multi-line entries (an
//! unclosed `{`, `(` or `[` continues on the next line) and completion of names. Errors
//! are printed and the session goes on; Ctrl-C stops a running evaluation (in either
//! tier: loops check the engine's stop flag, which the SIGINT handler sets) and returns
//! to the prompt; Ctrl-D exits.

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
}

const HELP: &str = "\
Enter nk statements, expressions (their value is printed) or definitions (fn, const, import).
A line with an unclosed { ( [ continues on the next.
  :type EXPR     the type of an expression
  :tier FUNC     which tier runs each specialization of a function
  :inspect FUNC  typed IR and bytecode of a function's specializations
  :heap          code heap statistics
  :load FILE     load a module from a file (then use it as NAME.f)
  :help          this text
  :quit          leave (or Ctrl-D)
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
        }
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
            "true", "false", "break", "continue", "in",
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
        // A statement's closing `;` may be left out (positions in the text stay the user's).
        let text = if trimmed.ends_with(';') || trimmed.ends_with('}') {
            trimmed.to_string()
        } else {
            format!("{trimmed};")
        };
        match self.run_entry(&text, EntryMode::Run { display }) {
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
                match self.run_entry(&format!("{arg};"), EntryMode::TypeOnly) {
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
            "heap" => match self.engine.heap_stats() {
                Some(h) => ok(format!(
                    "code heap: {} hits, {} misses, {} entries written, {} bytes loaded\n",
                    h.hits, h.misses, h.writes, h.bytes_loaded
                )),
                None => ok("no code heap in this session (start with --cache-dir DIR)\n".into()),
            },
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

/// Whether `text` has unclosed brackets (the entry continues on the next line).
pub fn incomplete(text: &str) -> bool {
    let mut depth = 0i64;
    let mut in_str = false;
    let mut comment = false;
    for c in text.chars() {
        match c {
            '\n' => comment = false,
            _ if comment => {}
            '#' if !in_str => comment = true,
            '"' => in_str = !in_str,
            '{' | '(' | '[' if !in_str => depth += 1,
            '}' | ')' | ']' if !in_str => depth -= 1,
            _ => {}
        }
    }
    depth > 0
}

/// Completion of names for the line editor.
struct Names(std::rc::Rc<std::cell::RefCell<Vec<String>>>);

impl rustyline::completion::Completer for Names {
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
impl rustyline::hint::Hinter for Names {
    type Hint = String;
}
impl rustyline::highlight::Highlighter for Names {}
impl rustyline::validate::Validator for Names {}
impl rustyline::Helper for Names {}

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
    // which are async-signal-safe; the handler stays valid for the life of the process.
    unsafe {
        libc::signal(
            libc::SIGINT,
            on_sigint as extern "C" fn(libc::c_int) as libc::sighandler_t,
        );
    }
    flag
}

/// Runs the REPL on the terminal (or, when stdin is not one, on its lines without prompts
/// or history, for scripts and tests). On a terminal, earlier entries are read from and
/// saved to the file `history` (the CLI's: in the user data folder). Returns the exit
/// status.
pub fn interactive(mut session: Session, history: Option<std::path::PathBuf>) -> u8 {
    use std::io::{BufRead, IsTerminal, Write};
    catch_sigint();
    let show = |o: &Outcome| {
        print!("{}", o.out);
        let _ = std::io::stdout().flush();
        if let Some(e) = &o.err {
            eprintln!("{}", e.trim_end());
        }
    };
    if !std::io::stdin().is_terminal() {
        let mut buf = String::new();
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            buf.push_str(&line);
            buf.push('\n');
            if incomplete(&buf) {
                continue;
            }
            let o = session.eval(&std::mem::take(&mut buf));
            show(&o);
            if o.quit {
                return 0;
            }
        }
        if !buf.trim().is_empty() {
            show(&session.eval(&buf));
        }
        return 0;
    }
    let names = std::rc::Rc::new(std::cell::RefCell::new(session.names()));
    let mut ed: rustyline::Editor<Names, rustyline::history::DefaultHistory> =
        match rustyline::Editor::new() {
            Ok(e) => e,
            Err(e) => {
                eprintln!("error: cannot start the line editor: {e}");
                return 1;
            }
        };
    ed.set_helper(Some(Names(names.clone())));
    if let Some(h) = &history {
        let _ = ed.load_history(h);
    }
    println!(
        "nvm {} — the nk REPL. :help for help, Ctrl-D to leave.",
        env!("CARGO_PKG_VERSION")
    );
    let mut buf = String::new();
    loop {
        let prompt = if buf.is_empty() { "nk> " } else { "... " };
        match ed.readline(prompt) {
            Ok(line) => {
                buf.push_str(&line);
                buf.push('\n');
                if incomplete(&buf) {
                    continue;
                }
                let entry = std::mem::take(&mut buf);
                let _ = ed.add_history_entry(entry.trim_end());
                let o = session.eval(&entry);
                show(&o);
                if o.quit {
                    break;
                }
                *names.borrow_mut() = session.names();
            }
            // Ctrl-C at the prompt drops the entry being typed.
            Err(rustyline::error::ReadlineError::Interrupted) => buf.clear(),
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
        assert!(!incomplete("fn f(x) { return x; }"));
        assert!(!incomplete("print(\"{\");"));
        assert!(!incomplete("let x = 1; # {"));
    }
}
