//! Loads, checks and runs a program: the pipeline from a path (or text) to its output,
//! shared by the CLI, the embedding API and the test harness.
//!
//! Invariant: performs no process I/O beyond the output sink it is given and reads no
//! environment — every setting comes in an [`Options`] (the CLI fills it from its flags and
//! environment variables); `main`'s arguments are parsed before anything runs, so a usage
//! error runs nothing.
//!
//! | file         | job                                                                |
//! |--------------|--------------------------------------------------------------------|
//! | `mod.rs`     | check (file or text), run, build; `Checked`, `Failure`, run report |
//! | `report.rs`  | runtime errors with the call chain; `--stats` text and JSON        |
//! | `inspect.rs` | `nvm inspect`: typed IR, bytecode, Cranelift IR, machine code      |

mod inspect;
mod report;

pub use inspect::{inspect, Emit, InspectError};
pub use report::{peak_rss_kib, render_runtime_error, stats_json, stats_text};

/// The code heap's management (`nvm cache stats|verify|gc|clear`).
pub mod cache {
    pub use crate::heap::manage::*;
}

use crate::diag::{CompileError, Diagnostic};
use crate::interp::Value;
use crate::ir::Program;
use crate::loader::{self, Loaded};
use crate::options::Options;
use crate::runtime::ops as rops;
use crate::runtime::RuntimeError;
use crate::source::SourceMap;
use crate::vm::{self, Vm};
use crate::vocab::Prim;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A program that passed the front end.
pub struct Checked {
    /// Every loaded text (for messages).
    pub sources: SourceMap,
    /// The typed IR of every specialization.
    pub program: std::rc::Rc<Program>,
}

/// Why a program did not run to completion.
#[derive(Debug)]
pub enum Failure {
    /// Syntax or type errors (exit status 2).
    Compile(CompileError),
    /// Bad command-line arguments for `main` (exit status 2).
    Usage(String),
    /// A runtime error (exit status 1), rendered with its call chain.
    Runtime(String),
    /// A failure already shown to the user; keeps its exit status.
    Reported(i32),
}

impl Failure {
    /// The process exit status for this failure (2: compile or usage, 1: runtime).
    pub fn exit_code(&self) -> i32 {
        match self {
            Failure::Compile(_) | Failure::Usage(_) => 2,
            Failure::Runtime(_) => 1,
            Failure::Reported(code) => *code,
        }
    }
    /// The same failure, marked as already printed.
    pub fn reported(self) -> Failure {
        Failure::Reported(self.exit_code())
    }
    /// The failure as text (plain; see [`Failure::render`] for color).
    pub fn message(&self) -> &str {
        match self {
            Failure::Compile(e) => e,
            Failure::Usage(m) | Failure::Runtime(m) => m,
            Failure::Reported(_) => "",
        }
    }
    /// The failure as the CLI shows it: compile errors colored when `color`.
    pub fn render(&self, color: bool) -> std::borrow::Cow<'_, str> {
        match self {
            Failure::Compile(e) if color => e.render(true).into(),
            other => other.message().into(),
        }
    }
}

/// Loads and checks a script file with everything it imports (found beside the importing
/// file, then in each folder of `module_path`, then in the standard library).
pub fn check_file(path: &Path, module_path: &[PathBuf]) -> Result<Checked, Failure> {
    finish_check_loaded(loader::load_file(path, module_path))
}

/// Loads and checks a script given as text (`nvm run -`): `name` is used in messages, its
/// imports are found in `dir`, then in each folder of `module_path`, then in the standard
/// library.
pub fn check_text(
    name: &str,
    text: String,
    dir: &Path,
    module_path: &[PathBuf],
) -> Result<Checked, Failure> {
    finish_check_loaded(loader::load_source_with(
        name,
        text,
        Some(dir.to_path_buf()),
        module_path.to_vec(),
        Default::default(),
    ))
}

/// Loads and checks a script given as text (it can import the standard library only).
pub fn check_source(name: &str, text: &str) -> Result<Checked, Failure> {
    finish_check_loaded(loader::load_source(name, text.to_string(), None))
}

/// Checks what the loader produced (or returns its errors).
pub fn finish_check_loaded(
    loaded: Result<Loaded, (SourceMap, Vec<Diagnostic>)>,
) -> Result<Checked, Failure> {
    check_loaded_keeping_ast(loaded).map(|(checked, _ast)| checked)
}

/// `check_file` that also hands back the parsed modules (syntax trees) instead of freeing
/// them, so the caller chooses when: `nvm check`, which exits after checking, never does
/// (freeing the trees of a 1,000-function script cost about 4% of checking it).
pub fn check_file_keeping_ast(
    path: &Path,
    module_path: &[PathBuf],
) -> Result<(Checked, Vec<loader::LoadedModule>), Failure> {
    check_loaded_keeping_ast(loader::load_file(path, module_path))
}

fn check_loaded_keeping_ast(
    loaded: Result<Loaded, (SourceMap, Vec<Diagnostic>)>,
) -> Result<(Checked, Vec<loader::LoadedModule>), Failure> {
    let loaded = loaded.map_err(|(sm, d)| Failure::Compile(CompileError::new(&sm, d)))?;
    match crate::types::check_program(&loaded) {
        Ok(program) => Ok((
            Checked {
                sources: loaded.sources,
                program: std::rc::Rc::new(program),
            },
            loaded.modules,
        )),
        Err(d) => Err(Failure::Compile(CompileError::new(&loaded.sources, d))),
    }
}

/// Options for running a checked program.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Color the diagnostics (on a terminal).
    pub color: bool,
    /// Arguments for `main`, as typed on the command line.
    pub args: Vec<String>,
    /// The tier policy, the code heap folder (`None` runs uncached), `perf_map`,
    /// `dump_opt` (the module path was used by `check_file`).
    pub options: Options,
    /// The stop flag the running code polls (the CLI's SIGINT handler sets it); `None`:
    /// the process-wide one. Setting it ends the run with the runtime error `interrupted`,
    /// after everything printed so far has reached the output sink.
    pub interrupt: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

/// The outcome of a run and what it took.
pub struct RunReport {
    /// The VM's counters for `--stats`.
    pub stats: vm::Stats,
    /// How the run ended.
    pub result: Result<(), Failure>,
    /// Non-fatal problems (a damaged code heap entry, an unwritable cache folder).
    pub warnings: Vec<String>,
}

/// Runs the script body, then `main` with the parsed arguments.
pub fn run(checked: &Checked, opts: &RunOptions, out: &mut dyn Write) -> RunReport {
    let mut stats = vm::Stats::default();
    let mut warnings = Vec::new();
    let result = run_inner(checked, opts, out, &mut stats, &mut warnings);
    RunReport {
        stats,
        result,
        warnings,
    }
}

/// `nvm build`: compiles every specialization of the program (everything reachable from
/// the script and `main`) into the code heap at `cache`, or loads it from there. Of
/// `opts`, the tier policy and `cache_dir` are not used (everything is compiled, into
/// `cache`).
pub fn build(checked: &Checked, opts: &Options, cache: &Path) -> RunReport {
    let prog = &checked.program;
    let mut it = Vm::with_options(
        prog.clone(),
        Box::new(std::io::sink()),
        &Options {
            policy: vm::TierPolicy {
                tier: vm::Tier::Jit,
                jit_calls: 0,
            },
            cache_dir: Some(cache.to_path_buf()),
            ..opts.clone()
        },
    );
    let mut result = Ok(());
    for id in 0..prog.funcs.len() {
        if let Err(m) = it.prepare(id as u32) {
            result = Err(Failure::Runtime(format!(
                "error: cannot build {}: {m}\n",
                prog.funcs[id].name
            )));
            break;
        }
    }
    let mut stats = std::mem::take(&mut it.stats);
    stats.heap = it.heap_stats();
    RunReport {
        stats,
        result,
        warnings: it.heap_warnings(),
    }
}

fn run_inner(
    checked: &Checked,
    opts: &RunOptions,
    out: &mut dyn Write,
    stats_out: &mut vm::Stats,
    warnings: &mut Vec<String>,
) -> Result<(), Failure> {
    let prog = &checked.program;
    // Parse main's arguments before anything runs: a usage error runs nothing.
    let main_args = match &prog.main {
        None if !opts.args.is_empty() => {
            return Err(Failure::Usage(format!(
                "error: the script takes no arguments (it has no `fn main`), but {} were given\n",
                opts.args.len()
            )))
        }
        None => vec![],
        Some(m) => {
            if m.params.len() != opts.args.len() {
                let names: Vec<String> = m
                    .params
                    .iter()
                    .map(|(n, p)| format!("{n}: {}", p.name()))
                    .collect();
                return Err(Failure::Usage(format!(
                    "error: `main({})` takes {} argument{} but {} were given\n",
                    names.join(", "),
                    m.params.len(),
                    if m.params.len() == 1 { "" } else { "s" },
                    opts.args.len()
                )));
            }
            let mut vals = Vec::new();
            for ((name, p), text) in m.params.iter().zip(&opts.args) {
                match parse_main_arg(*p, text) {
                    Some(v) => vals.push(v),
                    None => {
                        return Err(Failure::Usage(format!(
                            "error: invalid value `{text}` for parameter `{name}` of `main`: expected {}\n",
                            p.name()
                        )))
                    }
                }
            }
            vals
        }
    };
    let mut it = Vm::with_options(prog.clone(), Box::new(out), &opts.options);
    if let Some(flag) = &opts.interrupt {
        it.set_interrupt_flag(flag.clone());
    }
    let result = (|| {
        it.call(prog.script, &[])?;
        if let Some(m) = &prog.main {
            it.call(m.func, &main_args)?;
        }
        Ok::<(), RuntimeError>(())
    })();
    it.flush();
    *stats_out = std::mem::take(&mut it.stats);
    stats_out.heap = it.heap_stats();
    *warnings = it.heap_warnings();
    drop(it);
    result.map_err(|e| Failure::Runtime(render_runtime_error(&checked.sources, &e, opts.color)))
}

/// Convenience for tests and embedding: check and run source text, returning stdout.
pub fn run_source(name: &str, text: &str, args: &[String]) -> Result<String, Failure> {
    let checked = check_source(name, text)?;
    let mut out = Vec::new();
    run(
        &checked,
        &RunOptions {
            color: false,
            args: args.to_vec(),
            options: Options::default(),
            interrupt: None,
        },
        &mut out,
    )
    .result?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Parses a command-line argument for a `main` parameter of type `p`.
pub fn parse_main_arg(p: Prim, text: &str) -> Option<Value> {
    match p {
        Prim::I64 => text
            .parse::<i64>()
            .ok()
            .map(|v| Value::S(rops::Scalar::I64(v))),
        Prim::F64 => text
            .parse::<f64>()
            .ok()
            .map(|v| Value::S(rops::Scalar::F64(v))),
        Prim::Bool => match text {
            "true" => Some(Value::S(rops::Scalar::Bool(true))),
            "false" => Some(Value::S(rops::Scalar::Bool(false))),
            _ => None,
        },
    }
}

/// How long each front-end phase took on one script (`nvm check --stats`), in ms. The
/// phases are timed one after another on the same text, so `lex_ms` and `parse_ms`
/// measure passes that `load_ms` also contains: `parse_ms` (the script alone, lexing
/// included) minus `lex_ms` is the parser's own share; `load_ms` is everything the
/// loader does (reading, lexing and parsing the script and the prelude, imports).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct FrontendTimes {
    /// Lines of the script.
    pub lines: usize,
    /// Reading the script file.
    pub read_ms: f64,
    /// Lexing the script alone (again, to time it; the parser lexes as it goes).
    pub lex_ms: f64,
    /// Tokens of the script.
    pub tokens: usize,
    /// Parsing the script alone (timed apart from loading).
    pub parse_ms: f64,
    /// Loading: reading, lexing and parsing the script, its imports and the prelude.
    pub load_ms: f64,
    /// Name resolution, type inference and specialization.
    pub check_ms: f64,
    /// Bytecode for every specialization (the VM does this lazily, per first call).
    pub lower_ms: f64,
    /// Specializations the checker made.
    pub specializations: usize,
    /// `load_ms + check_ms + lower_ms`.
    pub total_ms: f64,
}

impl FrontendTimes {
    /// As one line of JSON (`--stats=json`).
    pub fn json(&self) -> String {
        serde_json::to_string(self).expect("plain data serializes")
    }
    /// As text, with the milliseconds per 1,000 lines (`--stats`).
    pub fn text(&self) -> String {
        let per = |ms: f64| ms * 1000.0 / self.lines.max(1) as f64;
        let mut s = format!("{} lines, {} tokens\n", self.lines, self.tokens);
        for (name, ms) in [
            ("read", self.read_ms),
            ("lex", self.lex_ms),
            ("parse (with lex)", self.parse_ms),
            ("load (all files)", self.load_ms),
            ("check", self.check_ms),
            ("lower (bytecode)", self.lower_ms),
            ("total", self.total_ms),
        ] {
            s.push_str(&format!(
                "{name:>18}: {ms:9.3} ms  {:8.3} ms per 1,000 lines\n",
                per(ms)
            ));
        }
        s
    }
}

/// `check_file` with each phase timed (see [`FrontendTimes`]).
pub fn check_file_timed(
    path: &Path,
    module_path: &[PathBuf],
) -> Result<(Checked, FrontendTimes), Failure> {
    use std::time::Instant;
    let ms = |t: Instant| t.elapsed().as_secs_f64() * 1e3;
    let mut t = FrontendTimes::default();
    let start = Instant::now();
    let text = loader::read_source(path).unwrap_or_default();
    t.read_ms = ms(start);
    t.lines = text.lines().count();
    let start = Instant::now();
    t.tokens = crate::syntax::lexer::lex(&text).count();
    t.lex_ms = ms(start);
    let start = Instant::now();
    drop(crate::syntax::parse(0, &text));
    t.parse_ms = ms(start);
    let start = Instant::now();
    let loaded = loader::load_file(path, module_path);
    t.load_ms = ms(start);
    let start = Instant::now();
    let checked = finish_check_loaded(loaded)?;
    t.check_ms = ms(start);
    let start = Instant::now();
    for id in 0..checked.program.funcs.len() {
        // Errors here are the VM's to report when the function runs.
        let _ = crate::bytecode::compile(&checked.program, id as u32);
    }
    t.lower_ms = ms(start);
    t.specializations = checked.program.funcs.len();
    t.total_ms = t.load_ms + t.check_ms + t.lower_ms;
    Ok((checked, t))
}
