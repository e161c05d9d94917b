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

use crate::bytecode::CompiledFn;
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
    /// Every specialization's bytecode, by slot, when it was made with the check (or read
    /// from a run image, whose `program` has signatures but no bodies); `None`: the VM
    /// lowers each at its first call.
    pub bytecode: Option<Vec<std::rc::Rc<CompiledFn>>>,
    /// The run image: `Some("hit")`, `Some("miss")` (checked now, image written), `None`.
    pub image: Option<&'static str>,
    /// Problems with the run image (damaged, unwritable), for the run's warnings.
    pub warnings: Vec<String>,
    /// The code heap's pack for this program (`heap::pack`): named by the run image, so
    /// only a program from a run image (hit, or written now) has one.
    pub pack: Option<crate::heap::pack::PackId>,
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

/// `check_file` through the run image cached under the code heap's folder `cache` (see
/// `heap::image`): on a hit — same script (name, path, text), module path, standard
/// library and nvm build, every imported file unchanged, every file the import lookup
/// missed still absent — nothing is loaded, parsed, checked or lowered: the result has the
/// image's signatures-only program and its bytecode. On a miss the script is checked, every
/// specialization lowered, and the image written (atomically; a failure is a warning).
/// `cache: None` is `check_file`.
pub fn check_file_cached(
    path: &Path,
    module_path: &[PathBuf],
    cache: Option<&Path>,
) -> Result<Checked, Failure> {
    let Some(root) = cache else {
        return check_file(path, module_path);
    };
    let Ok(text) = loader::read_source(path) else {
        return check_file(path, module_path); // reports the error
    };
    let name = path.display().to_string();
    let key = image_key(&name, path, &text, module_path);
    let mut warnings = Vec::new();
    match crate::heap::image::load(root, &key) {
        Ok(Some(img)) if image_is_current(&img, &name, &text) => {
            let bytecode = img.bytecode.into_iter().map(std::rc::Rc::new).collect();
            return Ok(Checked {
                sources: img.sources,
                program: std::rc::Rc::new(img.program),
                bytecode: Some(bytecode),
                image: Some("hit"),
                warnings,
                pack: Some(crate::heap::pack::PackId {
                    image: key,
                    digest: img.digest,
                }),
            });
        }
        Ok(_) => {}
        Err(w) => warnings.push(w),
    }
    let dir = path.parent().map(|p| p.to_path_buf());
    let loaded =
        loader::load_source_with(&name, text, dir, module_path.to_vec(), Default::default());
    let absent = match &loaded {
        Ok(l) => l.absent.clone(),
        Err(_) => Vec::new(),
    };
    let mut checked = finish_check_loaded(loaded)?;
    let prog = &checked.program;
    let mut bytecode = Vec::with_capacity(prog.funcs.len());
    for id in 0..prog.funcs.len() {
        match crate::bytecode::compile(prog, id as u32) {
            Ok(f) => bytecode.push(std::rc::Rc::new(f)),
            // The VM reports it when the function runs; no image for this program.
            Err(_) => return Ok(checked),
        }
    }
    let refs: Vec<&CompiledFn> = bytecode.iter().map(|f| &**f).collect();
    let payload = crate::heap::image::encode(&checked.sources, &absent, prog, &refs);
    match crate::heap::image::store(root, &key, &payload) {
        Ok(()) => {
            checked.pack = Some(crate::heap::pack::PackId {
                image: key,
                digest: crate::heap::image::digest(&payload),
            })
        }
        Err(w) => warnings.push(w),
    }
    checked.bytecode = Some(bytecode);
    checked.image = Some("miss");
    checked.warnings = warnings;
    Ok(checked)
}

/// The run image's key: everything that selects the program before its imports are known
/// (the script's name as given — messages show it —, its canonical path, which fixes where
/// relative imports are looked for, its text, the module path, the embedded standard
/// library) and the nvm build (version and a hash of the front end's sources).
fn image_key(name: &str, path: &Path, text: &str, module_path: &[PathBuf]) -> crate::heap::Key {
    // Hashed as a stream: the script and the standard library are not copied first.
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    let mut put = |s: &[u8]| {
        h.update(&(s.len() as u64).to_le_bytes());
        h.update(s);
    };
    put(b"nvm-run-image-1");
    put(env!("CARGO_PKG_VERSION").as_bytes());
    put(env!("NVM_FRONTEND_HASH").as_bytes());
    put(name.as_bytes());
    let canon = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    put(canon.as_os_str().as_encoded_bytes());
    put(text.as_bytes());
    put(&(module_path.len() as u64).to_le_bytes());
    for d in module_path {
        put(d.as_os_str().as_encoded_bytes());
    }
    for (n, t) in loader::STDLIB {
        put(n.as_bytes());
        put(t.as_bytes());
    }
    crate::heap::Key(h.digest128().to_le_bytes())
}

/// Whether an image still describes the program: its script is this one (the key covers
/// it; checked again for a hash collision's sake), each imported file has the text it had,
/// and each file the import lookup missed is still absent.
fn image_is_current(img: &crate::heap::image::Image, name: &str, text: &str) -> bool {
    let files = &img.sources.files;
    let Some(script) = files.first() else {
        return false;
    };
    if script.name != name || script.text != text || script.is_stdlib {
        return false;
    }
    let stdlib_ok = files[1..].iter().filter(|f| f.is_stdlib).all(|f| {
        loader::STDLIB
            .iter()
            .any(|(n, t)| f.name == format!("<stdlib>/{n}.nk") && f.text == *t)
    });
    stdlib_ok
        && files[1..]
            .iter()
            .filter(|f| !f.is_stdlib)
            .all(|f| loader::read_source(Path::new(&f.name)).is_ok_and(|t| t == f.text))
        && img.absent.iter().all(|p| !p.is_file())
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
    let mut loaded = loaded.map_err(|(sm, d)| Failure::Compile(CompileError::new(&sm, d)))?;
    match crate::types::check_program_taking_script(&mut loaded) {
        Ok(program) => Ok((
            Checked {
                sources: loaded.sources,
                program: std::rc::Rc::new(program),
                bytecode: None,
                image: None,
                warnings: Vec::new(),
                pack: None,
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
    /// How many times to call `main` in the one process (`nvm run --repeat N`); 0 and 1
    /// both call it once. Each call's wall time is in the stats (`main_ns`).
    pub repeat: u32,
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
    let it = Vm::with_options(
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
    let mut it = with_image(it, checked);
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
    it.publish_missing_entries();
    it.save_pack();
    let mut stats = std::mem::take(&mut it.stats);
    stats.heap = it.heap_stats();
    stats.image = checked.image;
    let warnings = merge_warnings(&checked.warnings, it.heap_warnings());
    RunReport {
        stats,
        result,
        warnings,
    }
}

/// Gives the VM what the front end made beforehand: the bytecode (a run image's, or lowered
/// with the check) and the program's pack in the code heap.
fn with_image<'p>(it: Vm<'p>, checked: &Checked) -> Vm<'p> {
    let it = match &checked.bytecode {
        Some(bc) => it.with_bytecode(bc.clone()),
        None => return it,
    };
    match checked.pack {
        Some(id) => it.with_pack(id),
        None => it,
    }
}

/// The run image's warnings, then the heap's — without the image's "cannot write" when the
/// heap could not write either (one unusable folder is one warning).
fn merge_warnings(image: &[String], heap: Vec<String>) -> Vec<String> {
    let heap_unwritable = heap.iter().any(|w| w.starts_with("cannot write"));
    let mut out: Vec<String> = image
        .iter()
        .filter(|w| !(heap_unwritable && w.starts_with("cannot write")))
        .cloned()
        .collect();
    out.extend(heap);
    out
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
        None if opts.repeat > 1 => {
            return Err(Failure::Usage(format!(
                "error: `--repeat {}` calls `main` again, but the script has no `fn main`\n",
                opts.repeat
            )))
        }
        None => vec![],
        Some(m) => {
            if m.params.len() != opts.args.len() {
                let names: Vec<String> =
                    m.params.iter().map(|(n, t)| format!("{n}: {t}")).collect();
                return Err(Failure::Usage(format!(
                    "error: `main({})` takes {} argument{} but {} were given\n",
                    names.join(", "),
                    m.params.len(),
                    if m.params.len() == 1 { "" } else { "s" },
                    opts.args.len()
                )));
            }
            let mut vals = Vec::new();
            for ((name, t), text) in m.params.iter().zip(&opts.args) {
                match parse_main_arg(t, text) {
                    Some(v) => vals.push(v),
                    None => {
                        return Err(Failure::Usage(format!(
                            "error: invalid value `{text}` for parameter `{name}` of `main`: expected {t}\n",
                        )))
                    }
                }
            }
            vals
        }
    };
    let it = Vm::with_options(prog.clone(), Box::new(out), &opts.options);
    let mut it = with_image(it, checked);
    if let Some(flag) = &opts.interrupt {
        it.set_interrupt_flag(flag.clone());
    }
    let mut main_ns = Vec::new();
    let result = (|| {
        it.call(prog.script, &[])?;
        if let Some(m) = &prog.main {
            // Each call is timed alone, as `timeit` times a function: the first one may
            // compile, later ones show the steady state (warm caches, memory reused).
            for _ in 0..opts.repeat.max(1) {
                let started = std::time::Instant::now();
                let r = it.call(m.func, &main_args);
                main_ns.push(started.elapsed().as_nanos() as u64);
                r?;
            }
        }
        Ok::<(), RuntimeError>(())
    })();
    it.flush();
    it.save_pack();
    *stats_out = std::mem::take(&mut it.stats);
    stats_out.heap = it.heap_stats();
    stats_out.image = checked.image;
    stats_out.main_ns = main_ns;
    *warnings = merge_warnings(&checked.warnings, it.heap_warnings());
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
            repeat: 1,
        },
        &mut out,
    )
    .result?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Parses a command-line argument for a `main` parameter of type `t` (a scalar type, or
/// `str`: the argument as written).
pub fn parse_main_arg(t: &crate::ir::Type, text: &str) -> Option<Value> {
    use crate::ir::Type;
    let scalar = |x| Some(Value::S(x));
    let p = match t {
        Type::Prim(p) => *p,
        Type::Str(None) => return Some(Value::Str(text.to_string())),
        _ => return None,
    };
    match p {
        Prim::I64 => scalar(rops::Scalar::I64(text.parse().ok()?)),
        Prim::F64 => scalar(rops::Scalar::F64(text.parse().ok()?)),
        Prim::Bool => match text {
            "true" => scalar(rops::Scalar::Bool(true)),
            "false" => scalar(rops::Scalar::Bool(false)),
            _ => None,
        },
        Prim::U8 => scalar(rops::Scalar::U8(text.parse().ok()?)),
        Prim::I32 => scalar(rops::Scalar::I32(text.parse().ok()?)),
        Prim::F32 => scalar(rops::Scalar::F32(text.parse().ok()?)),
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
