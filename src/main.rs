//! The `nvm` command line: the only code that reads arguments and the environment,
//! prints to the terminal and chooses exit codes (0 ok, 1 runtime error, 2 compile or
//! usage error, 101 bug).
//!
//! Environment variables (each below its flag, if it has one): `NVM_JIT_CALLS`
//! (`--jit-calls`), `NVM_CACHE_DIR` (`--cache-dir`), `NVM_PATH` (the module search
//! path), `NVM_PERF_MAP` (a `perf` map of compiled code), `NVM_DUMP_OPT` (optimized
//! Cranelift IR to stderr), `NVM_COMPILE_THREADS` (threads compiling ahead under
//! `--tier=jit` and in `nvm build`; default one per core, 1 = none), `NVM_NUM_THREADS`
//! (`--threads`: the threads of `prange` loops). They are read here and passed to the library in an
//! [`nvm::Options`]; the library reads none.

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use nvm::driver::{self, Failure, RunOptions};
use nvm::Options;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "nvm",
    version,
    about = "A tiered virtual machine for nk, a statically typed array language"
)]
struct Cli {
    /// Without a command: the interactive REPL.
    #[command(subcommand)]
    command: Option<Command>,
    /// Colour diagnostics: auto (when stderr is a terminal), always, never.
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    color: Color,
}

#[derive(Clone, Copy, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, ValueEnum, Debug)]
enum Tier {
    /// Interpret everything.
    Interp,
    /// Compile every function with Cranelift before its first call.
    Jit,
    /// Start in the interpreter; compile functions with loops at their first call and
    /// others once they are hot (see --jit-calls).
    Auto,
}

/// Where compiled code is kept between runs.
#[derive(clap::Args, Clone)]
struct CacheArgs {
    /// The code heap's folder [default: $NVM_CACHE_DIR, else the user cache folder].
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// Neither read nor write the code heap.
    #[arg(long, conflicts_with = "cache_dir")]
    no_cache: bool,
}

impl CacheArgs {
    fn root(&self) -> Option<PathBuf> {
        if self.no_cache {
            None
        } else {
            self.cache_dir.clone().or_else(default_cache_dir)
        }
    }
}

/// The code heap's folder without `--cache-dir`: `$NVM_CACHE_DIR`, else `nvm` in the
/// platform's user cache folder.
fn default_cache_dir() -> Option<PathBuf> {
    if let Some(d) = env_var("NVM_CACHE_DIR") {
        return Some(PathBuf::from(d));
    }
    dirs::cache_dir().map(|d| d.join("nvm"))
}

/// An environment variable; an empty value counts as unset (as for `NO_COLOR`, and so
/// that `NVM_CACHE_DIR= nvm run` never means "the working directory").
fn env_var(key: &str) -> Option<std::ffi::OsString> {
    std::env::var_os(key).filter(|v| !v.is_empty())
}

/// The REPL's history: `$XDG_STATE_HOME/nvm/history`, else `~/.local/state/nvm/history`
/// (history is state, not data: XDG Base Directory 0.8).
fn history_file() -> Option<PathBuf> {
    history_in(dirs::state_dir(), dirs::home_dir())
}

/// The history file given the platform's state folder (`dirs::state_dir`: Linux only)
/// and the home folder.
fn history_in(state: Option<PathBuf>, home: Option<PathBuf>) -> Option<PathBuf> {
    state
        .or_else(|| home.map(|h| h.join(".local").join("state")))
        .map(|d| d.join("nvm").join("history"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_lives_in_the_xdg_state_folder() {
        let p = |s: &str| Some(PathBuf::from(s));
        assert_eq!(
            history_in(p("/s"), p("/home/u")),
            p("/s/nvm/history"),
            "$XDG_STATE_HOME (dirs::state_dir reads it)"
        );
        assert_eq!(
            history_in(None, p("/home/u")),
            p("/home/u/.local/state/nvm/history")
        );
        assert_eq!(history_in(None, None), None);
    }

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
        completion_command().debug_assert();
    }
}

/// The library's settings that come from the environment only: the module search path
/// (`NVM_PATH`, split like `PATH`; empty entries are skipped), `NVM_PERF_MAP` and
/// `NVM_DUMP_OPT` (set and not empty: on), `NVM_COMPILE_THREADS`. The tier policy and the code heap folder are
/// the defaults, for each command to set.
fn env_options() -> Options {
    Options {
        module_path: env_var("NVM_PATH")
            .map(|v| {
                std::env::split_paths(&v)
                    .filter(|p| !p.as_os_str().is_empty())
                    .collect()
            })
            .unwrap_or_default(),
        perf_map: env_var("NVM_PERF_MAP").is_some(),
        dump_opt: env_var("NVM_DUMP_OPT").is_some(),
        compile_threads: compile_threads_setting(),
        threads: threads_setting().unwrap_or(0),
        ..Options::default()
    }
}

/// `NVM_NUM_THREADS` (a positive integer), else 0 (one per core).
fn threads_setting() -> Result<usize, String> {
    match env_var("NVM_NUM_THREADS") {
        Some(v) => {
            let v = v.to_string_lossy();
            match v.trim().parse::<usize>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(format!(
                    "error: NVM_NUM_THREADS must be a positive integer, not `{v}`"
                )),
            }
        }
        None => Ok(0),
    }
}

/// The script a command names: a file, or `-` for standard input (named `<stdin>` in
/// messages; its imports are looked up in the working folder, then `module_path`).
fn check_script(
    file: &std::path::Path,
    module_path: &[PathBuf],
) -> Result<driver::Checked, Failure> {
    check_script_cached(file, module_path, None)
}

/// `check_script` through the run image under the code heap's folder `cache` (a script
/// from stdin has none).
fn check_script_cached(
    file: &std::path::Path,
    module_path: &[PathBuf],
    cache: Option<&std::path::Path>,
) -> Result<driver::Checked, Failure> {
    if file.as_os_str() != "-" {
        return driver::check_file_cached(file, module_path, cache);
    }
    let mut bytes = Vec::new();
    if let Err(e) = std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes) {
        return Err(Failure::Usage(format!(
            "error: cannot read the script from stdin: {e}\n"
        )));
    }
    let text = String::from_utf8(bytes)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    driver::check_text("<stdin>", text, std::path::Path::new("."), module_path)
}

fn vm_tier(t: Tier) -> nvm::Tier {
    match t {
        Tier::Interp => nvm::Tier::Interp,
        Tier::Jit => nvm::Tier::Jit,
        Tier::Auto => nvm::Tier::Auto,
    }
}

#[derive(Subcommand)]
enum CacheAction {
    /// Entries and bytes, per target and per module.
    Stats,
    /// Check every entry's integrity, and that no entry contains a callee's code.
    Verify,
    /// Delete entries by age and/or total size (oldest first), and entries no run can use.
    Gc {
        /// Delete entries last written more than this many days ago.
        #[arg(long, value_name = "DAYS")]
        max_age_days: Option<f64>,
        /// Then delete the oldest until the heap is at most this many bytes.
        #[arg(long, value_name = "BYTES")]
        max_bytes: Option<u64>,
    },
    /// Delete every entry.
    Clear,
}

#[derive(Clone, Copy, ValueEnum, Debug, PartialEq)]
enum EmitKind {
    /// Typed IR and bytecode.
    Ir,
    /// Cranelift IR.
    Clif,
    /// Disassembled machine code.
    Asm,
}

#[derive(Clone, Copy, ValueEnum, Debug, PartialEq)]
enum StatsFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Run a script: its top-level statements, then `main(ARGS...)` if it defines one.
    Run {
        /// Execution tier.
        #[arg(long, value_enum, default_value_t = Tier::Auto)]
        tier: Tier,
        /// In auto mode, compile a loop-free function after this many interpreted calls
        /// [default: $NVM_JIT_CALLS, else 50].
        #[arg(long, value_name = "N")]
        jit_calls: Option<u32>,
        /// Threads that run the iterations of `prange` loops in native code (1: serially)
        /// [default: $NVM_NUM_THREADS, else one per core].
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        threads: Option<u32>,
        /// Print execution statistics to stderr when the program ends (`--stats=json`: one
        /// JSON object on one line).
        #[arg(long, value_enum, num_args = 0..=1, require_equals = true, default_missing_value = "text")]
        stats: Option<StatsFormat>,
        /// Call `main` N times in this one process, as `timeit` calls a function; the stats
        /// give each call's wall time (`main_ms`): the first may compile, the later ones
        /// are the steady state.
        #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
        repeat: u32,
        #[command(flatten)]
        cache: CacheArgs,
        /// The script to run (`-`: read it from standard input).
        file: PathBuf,
        /// Arguments for the script's `main`, parsed by its parameter types.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Compile every specialization of a script (reachable from its top level and `main`)
    /// into the code heap, so that even its first run starts warm.
    Build {
        file: PathBuf,
        #[command(flatten)]
        cache: CacheArgs,
        /// Print statistics (as `run --stats`).
        #[arg(long, value_enum, num_args = 0..=1, require_equals = true, default_missing_value = "text")]
        stats: Option<StatsFormat>,
    },
    /// Manage the code heap.
    Cache {
        #[command(subcommand)]
        action: CacheAction,
        /// The heap's folder [default: $NVM_CACHE_DIR, else the user cache folder].
        #[arg(long, value_name = "DIR", global = true)]
        cache_dir: Option<PathBuf>,
    },
    /// The interactive REPL (also `nvm` alone).
    Repl {
        /// Execution tier.
        #[arg(long, value_enum, default_value_t = Tier::Auto)]
        tier: Tier,
        #[command(flatten)]
        cache: CacheArgs,
    },
    /// Check a script for syntax and type errors without running it.
    Check {
        file: PathBuf,
        /// Print how long each front-end phase took (lex, parse, load, check, bytecode)
        /// to stderr (`--stats=json`: one JSON object on one line).
        #[arg(long, value_enum, num_args = 0..=1, require_equals = true, default_missing_value = "text")]
        stats: Option<StatsFormat>,
    },
    /// Show a function's specializations: typed IR and bytecode, Cranelift IR, machine code.
    Inspect {
        file: PathBuf,
        /// The function (e.g. `norm2` or `stats.mean`); every specialization whose name
        /// starts with this. Empty: all.
        #[arg(default_value = "")]
        func: String,
        /// Only the specialization for these argument types, e.g. `i64,f64[]`.
        #[arg(long, value_name = "TYPES")]
        args: Option<String>,
        /// What to show (repeat or separate with commas).
        #[arg(long, value_enum, value_delimiter = ',', default_value = "ir")]
        emit: Vec<EmitKind>,
    },
    /// Print a shell completion script, e.g. `nvm completions bash > ~/.local/share/bash-completion/completions/nvm`.
    Completions {
        /// The shell: bash, zsh, fish, powershell or elvish.
        shell: clap_complete::Shell,
    },
    /// Panics on purpose: lets a test prove that a bug is reported, not a crash dump.
    #[command(hide = true)]
    InternalPanic,
}

/// Compiling recurses over expression trees; a big stack keeps absurdly deep (but
/// accepted) input from overflowing it. Memory is reserved lazily.
const STACK_SIZE: usize = 512 * 1024 * 1024;

fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        eprintln!("nvm: internal error (this is a bug in nvm, please report it): {info}");
    }));
    let arenas = tune_malloc();
    let cli = Cli::parse();
    let placeholders = hold_arenas(arenas);
    let worker = std::thread::Builder::new()
        .stack_size(STACK_SIZE)
        .spawn(move || {
            // The first allocation attaches this thread to an arena: the main one, since
            // the placeholders hold all the others (see `hold_arenas`). Only then are
            // they let go, leaving their arenas to the threads started later.
            drop(std::hint::black_box(Box::new(0u64)));
            drop(placeholders);
            run_cli(cli)
        });
    match worker.map(|h| h.join()) {
        Ok(Ok(code)) => ExitCode::from(code),
        _ => ExitCode::from(101),
    }
}

/// glibc's allocator serves threads from a bounded number of arenas, each with its own
/// lock. The running thread, the compile threads (`--tier=jit`, `nvm build`) and the
/// `prange` workers all allocate hard (Cranelift most of all), so each gets an arena of its
/// own: with one arena for all, the 20,000-function program spent a quarter of its time
/// waiting for that lock (7.2 s → 4.5 s wall, BENCHMARKS.md). Returns the arena limit.
///
/// The running thread must have the main arena (see `hold_arenas`): it grows by
/// `M_TOP_PAD` (4 MiB) at a time, where another arena grows by `mprotect` in steps of
/// each request, which made `array_expr`'s large arrays 7% slower.
///
/// Setting any of these turns off glibc's dynamic mmap threshold, which would otherwise
/// rise to the size of freed large blocks (up to 32 MiB) so that an array made again and
/// again reuses its memory: left at 128 KiB, every array above it was a fresh `mmap`, and
/// each of its pages a fault on first write (a 250 x 250 `dot` spent more time faulting
/// than multiplying). So the threshold is set to that 32 MiB maximum and the trim
/// threshold to twice it, as the dynamic rule would.
fn tune_malloc() -> usize {
    // The main arena (the running thread's) and one per core.
    let arenas = std::thread::available_parallelism().map_or(1, |n| n.get()) + 1;
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters; called before any other thread
    // exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, arenas.min(64) as libc::c_int);
        libc::mallopt(libc::M_TOP_PAD, 4 << 20);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 64 << 20);
    }
    arenas
}

/// Threads that each make one of the `arenas - 1` arenas besides the main one and hold it
/// until the returned value is dropped. A thread takes an arena at its first allocation:
/// one a thread that ended left free, else a new one while there are fewer than the limit,
/// else the first unlocked one from the main arena on. So the running thread, making its
/// first allocation while these hold all the others, gets the main arena (the main thread
/// only waits for it), and the compile threads and workers started later get the arenas
/// these leave free. glibc's behaviour, not a contract: were it to change, this would cost
/// a few idle threads at start-up and nothing else.
fn hold_arenas(arenas: usize) -> Vec<std::sync::mpsc::Sender<()>> {
    let mut holds = Vec::new();
    if !cfg!(all(target_os = "linux", target_env = "gnu")) {
        return holds;
    }
    for _ in 1..arenas {
        let (made_tx, made_rx) = std::sync::mpsc::channel::<()>();
        let (hold_tx, hold_rx) = std::sync::mpsc::channel::<()>();
        let spawned = std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || {
                drop(std::hint::black_box(vec![0u8; 64]));
                let _ = made_tx.send(());
                let _ = hold_rx.recv();
            });
        if spawned.is_ok() && made_rx.recv().is_ok() {
            holds.push(hold_tx);
        }
    }
    holds
}

fn run_cli(cli: Cli) -> u8 {
    let color = match cli.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stderr().is_terminal(),
    };
    let command = cli.command.unwrap_or(Command::Repl {
        tier: Tier::Auto,
        cache: CacheArgs {
            cache_dir: None,
            no_cache: false,
        },
    });
    if let Err(m) = threads_setting() {
        eprintln!("{m}");
        return 2;
    }
    let env = env_options();
    let result = match command {
        Command::Repl { tier, cache } => {
            // First: Ctrl-C from now on stops evaluations, never the REPL.
            let stop = nvm::repl::catch_sigint();
            // The REPL's modules are found beside their files only (not in `NVM_PATH`),
            // and `NVM_JIT_CALLS` does not apply to it.
            let heap = cache.root();
            let engine = nvm::engine::Engine::builder()
                .options(Options {
                    cache_dir: heap.clone(),
                    module_path: Vec::new(),
                    ..env
                })
                .tier(vm_tier(tier))
                .interrupt_flag(stop)
                .capture_output()
                .build();
            let session = nvm::repl::Session::new(engine).with_heap_dir(heap);
            return nvm::repl::interactive(session, history_file());
        }
        Command::Check { file, stats: None } => {
            // The checked program is not freed: the process exits next.
            check_script(&file, &env.module_path).map(std::mem::forget)
        }
        Command::Check {
            file,
            stats: Some(format),
        } => driver::check_file_timed(&file, &env.module_path).map(|(_, t)| match format {
            StatsFormat::Text => eprint!("{}", t.text()),
            StatsFormat::Json => eprintln!("{}", t.json()),
        }),
        Command::Inspect {
            file,
            func,
            args,
            emit,
        } => check_script(&file, &env.module_path).and_then(|c| {
            let emit: Vec<driver::Emit> = emit
                .iter()
                .map(|e| match e {
                    EmitKind::Ir => driver::Emit::Ir,
                    EmitKind::Clif => driver::Emit::Clif,
                    EmitKind::Asm => driver::Emit::Asm,
                })
                .collect();
            driver::inspect(&c, &func, args.as_deref(), &emit, &env)
                .map(|text| print!("{text}"))
                .map_err(|e| Failure::Runtime(format!("error: {e}\n")))
        }),
        Command::InternalPanic => panic!("deliberate panic for the panic-reporting test"),
        Command::Completions { shell } => {
            let mut out = std::io::stdout().lock();
            clap_complete::generate(shell, &mut completion_command(), "nvm", &mut out);
            let _ = out.flush();
            Ok(())
        }
        Command::Build { file, cache, stats } => {
            let Some(root) = cache.root() else {
                report(&Failure::Usage(
                    "error: `nvm build` needs a code heap (no --no-cache, and a --cache-dir or a user cache folder)\n".into(),
                ), color);
                return 2;
            };
            check_script_cached(&file, &env.module_path, Some(&root)).and_then(|checked| {
                let started = std::time::Instant::now();
                let r = driver::build(&checked, &env, &root);
                finish(&r, stats, started.elapsed(), color);
                if r.result.is_ok() {
                    println!(
                        "built {} specializations into {}: {} compiled, {} already there",
                        r.stats.compiled,
                        root.display(),
                        r.stats.native,
                        r.stats.loaded
                    );
                }
                r.result.map_err(Failure::reported)
            })
        }
        Command::Cache { action, cache_dir } => {
            let Some(root) = cache_dir.or_else(default_cache_dir) else {
                eprintln!("error: no cache folder: pass --cache-dir or set NVM_CACHE_DIR");
                return 2;
            };
            use driver::cache as manage;
            match action {
                CacheAction::Stats => print!("{}", manage::stats(&root)),
                CacheAction::Verify => {
                    let (text, clean) = manage::verify(&root);
                    print!("{text}");
                    if !clean {
                        return 1;
                    }
                }
                CacheAction::Gc {
                    max_age_days,
                    max_bytes,
                } => {
                    let age = match max_age_days {
                        Some(d) if !(d >= 0.0 && d.is_finite()) => {
                            eprintln!("error: --max-age-days must be a non-negative number");
                            return 2;
                        }
                        Some(d) => Some(std::time::Duration::from_secs_f64(d * 86400.0)),
                        None => None,
                    };
                    print!("{}", manage::gc(&root, age, max_bytes));
                }
                CacheAction::Clear => print!("{}", manage::clear(&root)),
            }
            Ok(())
        }
        Command::Run {
            tier,
            jit_calls,
            threads,
            stats,
            repeat,
            cache,
            file,
            args,
        } => {
            let jit_calls = match jit_calls_setting(jit_calls) {
                Ok(n) => n,
                Err(m) => {
                    eprintln!("{m}");
                    return 2;
                }
            };
            let options = Options {
                policy: nvm::TierPolicy {
                    tier: vm_tier(tier),
                    jit_calls,
                },
                cache_dir: cache.root(),
                threads: threads.map_or(env.threads, |n| n as usize),
                ..env
            };
            // Ctrl-C stops the nk code at its next loop iteration or call; what it
            // printed is flushed, then the status is 130 (a second Ctrl-C ends at once).
            let stop = run_sigint::catch();
            // Wall time covers the whole run: loading and checking included.
            let started = std::time::Instant::now();
            let r = check_script_cached(&file, &options.module_path, options.cache_dir.as_deref())
                .and_then(|checked| {
                    if run_sigint::seen() {
                        return Err(Failure::Reported(run_sigint::interrupted()));
                    }
                    // The program is never freed, as the process exits after the run (freeing
                    // it cost ~4% of a warm run).
                    let checked = std::mem::ManuallyDrop::new(checked);
                    let stdout = std::io::stdout();
                    let is_tty = stdout.is_terminal();
                    // Line by line on a terminal (progress shows as it happens), in large
                    // blocks into a pipe or file (fast).
                    let mut out: Box<dyn Write> = if is_tty {
                        Box::new(std::io::LineWriter::new(stdout.lock()))
                    } else {
                        Box::new(std::io::BufWriter::new(stdout.lock()))
                    };
                    let opts = RunOptions {
                        color,
                        args,
                        options,
                        interrupt: Some(stop),
                        repeat,
                    };
                    let r = driver::run(&checked, &opts, &mut out);
                    let _ = out.flush();
                    drop(out);
                    finish(&r, stats, started.elapsed(), color);
                    if run_sigint::seen() {
                        // Stopped by Ctrl-C (the error, if any, was "interrupted"), or
                        // Ctrl-C came while no nk code ran: either way, as Python's
                        // KeyboardInterrupt, status 130.
                        if r.result.is_ok() {
                            run_sigint::interrupted();
                        }
                        return Err(Failure::Reported(130));
                    }
                    r.result.map_err(Failure::reported)
                });
            return match r {
                Ok(()) => 0,
                Err(f) => {
                    report(&f, color);
                    f.exit_code() as u8
                }
            };
        }
    };
    match result {
        Ok(()) => 0,
        Err(f) => {
            report(&f, color);
            f.exit_code() as u8
        }
    }
}

/// The command line as completion scripts see it: without hidden subcommands (which
/// `clap_complete` would offer).
fn completion_command() -> clap::Command {
    let full = Cli::command();
    let mut c = clap::Command::new("nvm")
        .version(env!("CARGO_PKG_VERSION"))
        .args(full.get_arguments().cloned())
        .subcommands(full.get_subcommands().filter(|s| !s.is_hide_set()).cloned());
    if let Some(about) = full.get_about() {
        c = c.about(about.clone());
    }
    c
}

/// After a run or build: warnings, the error, then statistics — last on stderr, so
/// scripts find them on its last line.
fn finish(
    r: &driver::RunReport,
    stats: Option<StatsFormat>,
    wall: std::time::Duration,
    color: bool,
) {
    for w in &r.warnings {
        eprintln!("nvm: warning: {w}");
    }
    if let Err(f) = &r.result {
        report(f, color);
    }
    match stats {
        Some(StatsFormat::Text) => eprint!("{}", driver::stats_text(&r.stats, wall)),
        Some(StatsFormat::Json) => eprintln!("{}", driver::stats_json(&r.stats, wall)),
        None => {}
    }
}

/// Ctrl-C (SIGINT) during `nvm run`: the first asks the running nk code to stop (both
/// tiers poll the flag at every loop iteration and call), so the run ends with the runtime
/// error "interrupted", its output flushed, and status 130; a second one, if the first has
/// not ended the run yet (a long compile, a blocked write), ends the process at once.
mod run_sigint {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, OnceLock};

    /// The stop flag the VM polls (`Vm::call` clears it when a call starts).
    static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();
    /// Whether SIGINT came at all (never cleared).
    static SEEN: AtomicBool = AtomicBool::new(false);

    extern "C" fn on_sigint(_: libc::c_int) {
        if SEEN.swap(true, Ordering::SeqCst) {
            // SAFETY: `_exit` is async-signal-safe; it ends the process without running
            // anything else.
            unsafe { libc::_exit(130) };
        }
        // Initialized before the handler was installed: `get` is one atomic load.
        if let Some(flag) = FLAG.get() {
            flag.store(true, Ordering::SeqCst);
        }
    }

    /// Installs the handler; returns the flag it sets (for `RunOptions::interrupt`).
    pub fn catch() -> Arc<AtomicBool> {
        let flag = FLAG
            .get_or_init(|| Arc::new(AtomicBool::new(false)))
            .clone();
        // SAFETY: `on_sigint` only does atomic operations on statics initialized before
        // this call and `_exit`, all async-signal-safe.
        unsafe { nvm::repl::install_sigint(on_sigint) };
        flag
    }

    /// Whether SIGINT has come since [`catch`].
    pub fn seen() -> bool {
        SEEN.load(Ordering::SeqCst)
    }

    /// Says so on stderr (for an interrupt that stopped no nk code); returns the status.
    pub fn interrupted() -> i32 {
        eprintln!("interrupted");
        130
    }
}

/// `NVM_COMPILE_THREADS`, else 0 (one per core). The count changes only speed, so a bad
/// value is a warning and the default, not an error.
fn compile_threads_setting() -> usize {
    let Some(v) = env_var("NVM_COMPILE_THREADS") else {
        return 0;
    };
    let v = v.to_string_lossy();
    v.trim().parse().unwrap_or_else(|_| {
        eprintln!(
            "warning: NVM_COMPILE_THREADS must be a non-negative integer, not `{v}`; \
             using one thread per core"
        );
        0
    })
}

/// `--jit-calls`, else `NVM_JIT_CALLS`, else the default.
fn jit_calls_setting(flag: Option<u32>) -> Result<u32, String> {
    if let Some(n) = flag {
        return Ok(n);
    }
    match env_var("NVM_JIT_CALLS") {
        Some(v) => {
            let v = v.to_string_lossy();
            v.trim().parse().map_err(|_| {
                format!("error: NVM_JIT_CALLS must be a non-negative integer, not `{v}`")
            })
        }
        None => Ok(nvm::DEFAULT_JIT_CALLS),
    }
}

/// Prints a failure (compile errors colored when `color`): the edge where errors become text.
fn report(f: &Failure, color: bool) {
    if matches!(f, Failure::Reported(_)) {
        return;
    }
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(f.render(color).as_bytes());
}
