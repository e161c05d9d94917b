//! Loads, checks and runs a program: the pipeline from a path (or text) to its output,
//! shared by the CLI, the embedding API and the test harness. Performs no process I/O
//! beyond the output sink it is given, and reads no environment: every setting comes in
//! an [`Options`] (the CLI fills it from its flags and environment variables).

use crate::diag::{self, Diagnostic};
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
    pub sources: SourceMap,
    pub program: std::rc::Rc<Program>,
}

/// Why a program did not run to completion.
#[derive(Debug)]
pub enum Failure {
    /// Syntax or type errors (exit status 2), rendered.
    Compile(String),
    /// Bad command-line arguments for `main` (exit status 2).
    Usage(String),
    /// A runtime error (exit status 1), rendered with its call chain.
    Runtime(String),
    /// A failure already shown to the user; keeps its exit status.
    Reported(i32),
}

impl Failure {
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
    pub fn message(&self) -> &str {
        match self {
            Failure::Compile(m) | Failure::Usage(m) | Failure::Runtime(m) => m,
            Failure::Reported(_) => "",
        }
    }
}

fn compile_failure(sources: &SourceMap, diags: &[Diagnostic], color: bool) -> Failure {
    let n = diags.len();
    let mut text = diag::render(sources, diags, color);
    text.push_str(&format!(
        "{n} error{} found; nothing was run\n",
        if n == 1 { "" } else { "s" }
    ));
    Failure::Compile(text)
}

/// Loads and checks a script file with everything it imports (found beside the importing
/// file, then in each folder of `module_path`, then in the standard library).
pub fn check_file(path: &Path, module_path: &[PathBuf], color: bool) -> Result<Checked, Failure> {
    finish_check_loaded(loader::load_file(path, module_path), color)
}

/// Loads and checks a script given as text (it can import the standard library only).
pub fn check_source(name: &str, text: &str, color: bool) -> Result<Checked, Failure> {
    finish_check_loaded(loader::load_source(name, text.to_string(), None), color)
}

/// Checks what the loader produced (or renders its errors).
pub fn finish_check_loaded(
    loaded: Result<Loaded, (SourceMap, Vec<Diagnostic>)>,
    color: bool,
) -> Result<Checked, Failure> {
    let loaded = loaded.map_err(|(sm, d)| compile_failure(&sm, &d, color))?;
    match crate::types::check_program(&loaded) {
        Ok(program) => Ok(Checked {
            sources: loaded.sources,
            program: std::rc::Rc::new(program),
        }),
        Err(d) => Err(compile_failure(&loaded.sources, &d, color)),
    }
}

/// Renders a runtime error: the message at its place, then the nk call chain.
pub fn render_runtime_error(sources: &SourceMap, e: &RuntimeError, color: bool) -> String {
    // An error inside the standard library is shown at the user's call into it; the
    // chain below still lists the library frames.
    let in_stdlib = |sp: &crate::source::Span| sources.get(sp.file).is_stdlib;
    let span = if in_stdlib(&e.span) {
        e.chain
            .iter()
            .rev()
            .map(|(_, sp)| *sp)
            .find(|sp| !in_stdlib(sp))
            .unwrap_or(e.span)
    } else {
        e.span
    };
    let mut d = Diagnostic::error(span, e.message.clone());
    if !e.chain.is_empty() {
        let mut note = String::from("call chain (most recent call last):");
        let mut i = 0;
        while i < e.chain.len() {
            let (name, span) = &e.chain[i];
            let mut j = i + 1;
            while j < e.chain.len() && e.chain[j] == e.chain[i] {
                j += 1;
            }
            note.push_str(&format!("\n  {} in {}", sources.location(*span), name));
            if j - i > 1 {
                note.push_str(&format!(
                    "\n  [previous line repeated {} more times]",
                    j - i - 1
                ));
            }
            i = j;
        }
        d = d.with_note(note);
    }
    diag::render(sources, &[d], color)
}

/// Options for running a checked program.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub color: bool,
    /// Arguments for `main`, as typed on the command line.
    pub args: Vec<String>,
    /// The tier policy, the code heap folder (`None` runs uncached), `perf_map`,
    /// `dump_opt` (the module path was used by `check_file`).
    pub options: Options,
}

/// The outcome of a run and what it took.
pub struct RunReport {
    pub stats: vm::Stats,
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
/// the script and `main`) into the code heap at `opts.cache_dir`, or loads it from there.
/// The tier policy of `opts` is not used (everything is compiled); without a heap folder
/// nothing is built.
pub fn build(checked: &Checked, opts: &Options) -> RunReport {
    let prog = &checked.program;
    if opts.cache_dir.is_none() {
        return RunReport {
            stats: vm::Stats::default(),
            result: Err(Failure::Usage(
                "error: building needs a code heap folder\n".into(),
            )),
            warnings: Vec::new(),
        };
    }
    let mut it = Vm::with_options(
        prog.clone(),
        Box::new(std::io::sink()),
        &Options {
            policy: vm::TierPolicy {
                tier: vm::Tier::Jit,
                jit_calls: 0,
            },
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

/// Peak resident memory of this process in KiB (Linux `VmHWM`), if known.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// `--stats` as text: one line per tier, then what stayed interpreted and why.
pub fn stats_text(s: &vm::Stats, wall: std::time::Duration) -> String {
    let mut t = format!(
        "stats: {} specializations ran: {} interpreted, {} compiled by Cranelift ({:.2} ms), {} loaded from the code heap; {} bytes of native code\n",
        s.compiled,
        interpreted(s),
        s.native,
        s.native_ns as f64 / 1e6,
        s.loaded,
        s.native_bytes,
    );
    if let Some(h) = &s.heap {
        t.push_str(&format!(
            "stats: code heap: {} hits, {} misses, {} entries written, {} bytes loaded in {:.2} ms\n",
            h.hits,
            h.misses,
            h.writes,
            h.bytes_loaded,
            h.load_ns as f64 / 1e6
        ));
    }
    t.push_str(&format!(
        "stats: {} interpreted calls, {:.1} ms wall",
        s.calls,
        wall.as_secs_f64() * 1e3
    ));
    if let Some(kib) = peak_rss_kib() {
        t.push_str(&format!(", peak RSS {:.1} MiB", kib as f64 / 1024.0));
    }
    t.push('\n');
    for (name, why) in &s.not_compiled {
        t.push_str(&format!("stats: not compiled: {name}: {why}\n"));
    }
    t
}

/// Specializations that ran only in the interpreter.
fn interpreted(s: &vm::Stats) -> u64 {
    s.compiled.saturating_sub(s.native + s.loaded)
}

fn json_str(s: &str) -> String {
    let mut o = String::from('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// `--stats=json`: the same as one JSON object (keys documented in the README).
pub fn stats_json(s: &vm::Stats, wall: std::time::Duration) -> String {
    let not: Vec<String> = s
        .not_compiled
        .iter()
        .map(|(n, w)| {
            format!(
                "{{\"function\":{},\"reason\":{}}}",
                json_str(n),
                json_str(w)
            )
        })
        .collect();
    let h = s.heap.clone().unwrap_or_default();
    format!(
        "{{\"specializations\":{},\"interpreted\":{},\"compiled\":{},\"loaded\":{},\"heap\":{},\"heap_hits\":{},\"heap_misses\":{},\"heap_writes\":{},\"heap_bytes_loaded\":{},\"heap_load_ms\":{:.3},\"compile_ms\":{:.3},\"code_bytes\":{},\"interpreted_calls\":{},\"wall_ms\":{:.3},\"peak_rss_kib\":{},\"not_compiled\":[{}]}}",
        s.compiled,
        interpreted(s),
        s.native,
        s.loaded,
        s.heap.is_some(),
        h.hits,
        h.misses,
        h.writes,
        h.bytes_loaded,
        h.load_ns as f64 / 1e6,
        s.native_ns as f64 / 1e6,
        s.native_bytes,
        s.calls,
        wall.as_secs_f64() * 1e3,
        peak_rss_kib().map_or("null".to_string(), |k| k.to_string()),
        not.join(",")
    )
}

/// What `nvm inspect` shows of a specialization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emit {
    /// The typed IR and the bytecode both tiers start from.
    Ir,
    /// The Cranelift IR the native tier builds.
    Clif,
    /// The machine code Cranelift produces, disassembled.
    Asm,
}

/// The inspector's text for the specializations of `func` (every one whose name starts
/// with it, or — with `args` such as `i64,f64[]` — exactly `func(args)`). Nothing runs,
/// nothing is read from or written to a code heap; of `opts` only `dump_opt` matters.
pub fn inspect(
    checked: &Checked,
    func: &str,
    args: Option<&str>,
    emit: &[Emit],
    opts: &Options,
) -> Result<String, String> {
    let prog = &checked.program;
    let wanted = args.map(|a| {
        let a: Vec<&str> = a
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect();
        format!("{func}({})", a.join(", "))
    });
    let chosen: Vec<usize> = (0..prog.funcs.len())
        .filter(|&id| {
            let name = &prog.funcs[id].name;
            match &wanted {
                Some(w) => name == w,
                None => name.starts_with(func),
            }
        })
        .collect();
    if chosen.is_empty() {
        let base = func.split('(').next().unwrap_or(func);
        let mut have: Vec<&str> = prog
            .funcs
            .iter()
            .map(|f| f.name.as_str())
            .filter(|n| n.starts_with(&format!("{base}(")))
            .collect();
        have.sort();
        let what = wanted.as_deref().unwrap_or(func);
        return Err(if have.is_empty() {
            format!("no specialization of `{what}` in this program (a function is specialized for each argument type list it is called with)")
        } else {
            format!(
                "no specialization `{what}`; this program has: {}",
                have.join(", ")
            )
        });
    }
    let mut sink = Vec::new();
    let mut it = Vm::with_options(
        prog.clone(),
        Box::new(&mut sink),
        &Options {
            policy: vm::TierPolicy {
                tier: vm::Tier::Interp,
                jit_calls: vm::DEFAULT_JIT_CALLS,
            },
            cache_dir: None,
            module_path: Vec::new(),
            perf_map: false,
            dump_opt: opts.dump_opt,
        },
    );
    let mut out = String::new();
    for id in chosen {
        let f = &prog.funcs[id];
        out.push_str(&format!("== {} -> {} (slot {id})\n", f.name, f.ret));
        if emit.contains(&Emit::Ir) {
            out.push_str("-- typed IR\n");
            for (i, l) in f.locals.iter().enumerate() {
                let name = if l.name.is_empty() { "<temp>" } else { &l.name };
                out.push_str(&format!("  local {i}: {name}: {}\n", l.ty));
            }
            out.push_str(&format!("{:#?}\n", f.body));
            let code = it.bytecode(id as u32)?;
            out.push_str(&format!(
                "-- bytecode ({} scalar, {} array registers)\n{}\n",
                code.n_s,
                code.n_a,
                code.disassemble()
            ));
        }
        if emit.contains(&Emit::Clif) || emit.contains(&Emit::Asm) {
            let (clif, asm) = it.native_listing(id as u32)?;
            if emit.contains(&Emit::Clif) {
                out.push_str(&format!("-- Cranelift IR\n{clif}\n"));
            }
            if emit.contains(&Emit::Asm) {
                out.push_str(&format!("-- machine code\n{asm}\n"));
            }
        }
    }
    Ok(out)
}

/// Convenience for tests and embedding: check and run source text, returning stdout.
pub fn run_source(name: &str, text: &str, args: &[String]) -> Result<String, Failure> {
    let checked = check_source(name, text, false)?;
    let mut out = Vec::new();
    run(
        &checked,
        &RunOptions {
            color: false,
            args: args.to_vec(),
            options: Options::default(),
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
