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

use crate::engine::{Engine, Error};
use crate::interp::Value;
use crate::syntax::ast::{Item, Pattern, StmtKind};
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

/// A REPL session: definitions, variables, and the engine that runs them.
pub struct Session {
    engine: Engine,
    /// Items of the `repl` module by name (`fn` and `const`), in definition order.
    defs: Vec<(String, String)>,
    imports: Vec<String>,
    vars: Vec<(String, Value)>,
    /// Each specialization's tier when an entry last ran it.
    last_tiers: Vec<(String, &'static str)>,
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
        let mut s = Session {
            engine,
            defs: Vec::new(),
            imports: Vec::new(),
            vars: Vec::new(),
            last_tiers: Vec::new(),
            heap_dir: None,
        };
        let _ = s.reload(None);
        s
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
            "true", "false", "break", "continue", "in",
        ] {
            v.push(k.to_string());
        }
        v.sort();
        v.dedup();
        v
    }

    /// The `repl` module's text, with `extra` (a generated function) appended.
    fn module_text(&self, extra: Option<&str>) -> String {
        let mut t = String::new();
        for i in &self.imports {
            t.push_str(&format!("import {i};\n"));
        }
        for (_, d) in &self.defs {
            t.push_str(d);
            t.push('\n');
        }
        if let Some(e) = extra {
            t.push_str(e);
        }
        t
    }

    fn reload(&mut self, extra: Option<&str>) -> Result<(), Error> {
        let text = self.module_text(extra);
        self.engine.load_str("repl", &text)
    }

    fn var_params(&self) -> (Vec<String>, Vec<(String, Value)>) {
        let mut params = Vec::new();
        let mut args = Vec::new();
        for (n, v) in &self.vars {
            if let Some(t) = Engine::type_of(v) {
                params.push(format!("{n}: {t}"));
                args.push((t, v.clone()));
            }
        }
        (params, args)
    }

    /// Evaluates one entry (complete: balanced brackets).
    pub fn eval(&mut self, input: &str) -> Outcome {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Outcome::default();
        }
        if let Some(cmd) = trimmed.strip_prefix(':') {
            return self.command(cmd);
        }
        let r = match crate::syntax::parse(0, input) {
            (m, diags) if diags.is_empty() => self.run_items(input, m.items),
            (_, diags) => match crate::syntax::parse_expr(0, input) {
                Ok(_) => self.run_body(&format!("let __value = ({trimmed});")),
                Err(_) => Err(Error::Compile(entry_errors(input, diags))),
            },
        };
        match r {
            Ok(out) => Outcome {
                out,
                ..Outcome::default()
            },
            Err(e) => Outcome {
                out: self.engine.take_output(),
                err: Some(e.to_string()),
                quit: false,
            },
        }
    }

    fn run_items(&mut self, input: &str, items: Vec<Item>) -> Result<String, Error> {
        let (old_defs, old_imports) = (self.defs.clone(), self.imports.clone());
        let mut body = String::new();
        let mut defs_changed = false;
        let mut cut: Vec<(usize, usize)> = Vec::new();
        for item in &items {
            match item {
                Item::Fn(f) => {
                    let text = input[f.span.lo as usize..f.span.hi as usize].to_string();
                    self.define(&f.name.name, text);
                    cut.push((f.span.lo as usize, f.span.hi as usize));
                    defs_changed = true;
                }
                Item::Const(c) => {
                    let (lo, hi) = (c.span.lo as usize, c.span.hi as usize);
                    let mut text = input[lo..hi].to_string();
                    if !text.trim_end().ends_with(';') {
                        text.push(';');
                    }
                    self.define(&c.name.name, text);
                    cut.push((lo, hi));
                    defs_changed = true;
                }
                Item::Import { path, span } => {
                    let p: Vec<String> = path.iter().map(|i| i.name.clone()).collect();
                    let p = p.join(".");
                    if !self.imports.contains(&p) {
                        self.imports.push(p);
                    }
                    cut.push((span.lo as usize, span.hi as usize));
                    defs_changed = true;
                }
                Item::Stmt(_) => {}
            }
        }
        // The statements: the input without its definitions.
        let mut last = 0;
        cut.sort();
        for (lo, hi) in cut {
            if lo >= last {
                body.push_str(&input[last..lo]);
                last = hi.min(input.len());
            }
        }
        body.push_str(&input[last..]);
        let body = body.trim().trim_start_matches(';').trim().to_string();
        if defs_changed {
            if let Err(e) = self.reload(None) {
                self.defs = old_defs;
                self.imports = old_imports;
                let _ = self.reload(None);
                return Err(e);
            }
        }
        let has_stmts = items.iter().any(|i| matches!(i, Item::Stmt(_)));
        if !has_stmts || body.is_empty() {
            return Ok(String::new());
        }
        self.run_body(&body)
    }

    fn define(&mut self, name: &str, text: String) {
        match self.defs.iter_mut().find(|(n, _)| n == name) {
            Some(d) => d.1 = text,
            None => self.defs.push((name.to_string(), text)),
        }
    }

    /// Runs `body` as a function of the session's variables (an expression entry's body
    /// defines `__value`, which is printed instead of kept).
    fn run_body(&mut self, body: &str) -> Result<String, Error> {
        let (params, args) = self.var_params();
        let mut names: Vec<String> = self
            .vars
            .iter()
            .filter(|(_, v)| Engine::type_of(v).is_some())
            .map(|(n, _)| n.clone())
            .collect();
        // New variables: the `let`s at the top level of the entry.
        let (m, d) = crate::syntax::parse(0, body);
        if d.is_empty() {
            for it in m.items {
                if let Item::Stmt(s) = it {
                    if let StmtKind::Let { pat, .. } = s.kind {
                        collect_names(&pat, &mut names);
                    }
                }
            }
        }
        names.dedup();
        let mut seen = Vec::new();
        names.retain(|n| {
            let fresh = !seen.contains(n);
            seen.push(n.clone());
            fresh
        });
        let ret = match names.len() {
            0 => String::new(),
            1 => format!("return {};", names[0]),
            _ => format!("return ({});", names.join(", ")),
        };
        let f = format!(
            "fn __repl_run({}) {{\n{body}\n{ret}\n}}\n",
            params.join(", ")
        );
        self.reload(Some(&f))?;
        let result = self.engine.call_values("repl.__repl_run", args);
        for (n, t) in self.engine.tiers("") {
            if t == "not called yet" {
                continue;
            }
            match self.last_tiers.iter_mut().find(|(m, _)| *m == n) {
                Some(e) => e.1 = t,
                None => self.last_tiers.push((n, t)),
            }
        }
        let mut out = self.engine.take_output();
        let v = result?;
        let values = match (names.len(), v) {
            (0, _) => vec![],
            (1, v) => vec![v],
            (_, Value::T(vs)) => vs,
            (_, _) => vec![],
        };
        for (n, v) in names.iter().zip(values) {
            if n == "__value" {
                if !matches!(v, Value::Unit) {
                    out.push_str(&v.format());
                    out.push('\n');
                }
                continue;
            }
            match self.vars.iter_mut().find(|(m, _)| m == n) {
                Some(slot) => slot.1 = v,
                None => self.vars.push((n.clone(), v)),
            }
        }
        Ok(out)
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
                let (params, args) = self.var_params();
                let f = format!(
                    "fn __repl_type({}) {{ return ({arg}); }}\n",
                    params.join(", ")
                );
                let types: Vec<String> = args.into_iter().map(|(t, _)| t).collect();
                let r = self
                    .reload(Some(&f))
                    .and_then(|_| self.engine.return_type("repl.__repl_type", &types));
                match r {
                    Ok(t) => ok(format!("{t}\n")),
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
                match self.engine.load_file(path) {
                    Ok(()) => {
                        if !self.imports.contains(&stem) {
                            self.imports.push(stem.clone());
                        }
                        match self.reload(None) {
                            Ok(()) => {
                                ok(format!("loaded {stem}: use its functions as {stem}.NAME\n"))
                            }
                            Err(e) => fail(e.to_string()),
                        }
                    }
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
    /// session's use of it since the last definition changed.
    fn heap_text(&self) -> String {
        let Some(dir) = &self.heap_dir else {
            return "no code heap in this session (it was started with --no-cache)\n".into();
        };
        let mut t = crate::heap::manage::stats(dir);
        if let Some(h) = self.engine.heap_stats() {
            t.push_str(&format!(
                "this session, since the last definition: {} hits, {} misses, {} entries written, {} bytes loaded\n",
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

fn collect_names(p: &Pattern, out: &mut Vec<String>) {
    match p {
        Pattern::Name(i) => out.push(i.name.clone()),
        Pattern::Tuple(ps, _) => ps.iter().for_each(|p| collect_names(p, out)),
    }
}

/// The errors of an entry (file `<repl>`).
fn entry_errors(input: &str, diags: Vec<crate::diag::Diagnostic>) -> crate::diag::CompileError {
    let mut sm = crate::source::SourceMap::default();
    sm.add("<repl>".into(), input.to_string());
    crate::diag::CompileError::of_entry(&sm, diags)
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
    // which are async-signal-safe; the handler stays valid for the life of the process.
    unsafe {
        libc::signal(
            libc::SIGINT,
            on_sigint as extern "C" fn(libc::c_int) as libc::sighandler_t,
        );
    }
    flag
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
    fn redefining_a_function_changes_what_its_callers_do() {
        let mut s = Session::default();
        run(&mut s, "fn inner(v: i64) -> i64 { return v + 1; }");
        run(&mut s, "fn outer(v: i64) -> i64 { return inner(v) * 10; }");
        assert_eq!(run(&mut s, "outer(1)"), "20\n");
        run(&mut s, "fn inner(v: i64) -> i64 { return v + 2; }");
        assert_eq!(run(&mut s, "outer(1)"), "30\n");
        assert!(run(&mut s, ":tier outer").contains("outer(i64): "));
        // A new signature the caller cannot use is reported when the caller runs.
        run(&mut s, "fn inner(v: i64) -> bool { return v > 0; }");
        assert!(run(&mut s, "outer(1)").contains("ERROR"));
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
