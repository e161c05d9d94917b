//! Embedding nk in Rust programs: the [`Engine`].
//!
//! ```
//! use nvm::engine::Engine;
//!
//! let mut engine = Engine::new();
//! engine
//!     .load_str(
//!         "shapes",
//!         "fn area(r: f64) -> f64 { return 3.0 * r * r; }\n\
//!          fn total(xs: f64[]) -> f64 { let s = 0.0; for i in 0..len(xs) { s += area(xs[i]); } return s; }",
//!     )
//!     .unwrap();
//! let a: f64 = engine.call("area", (2.0,)).unwrap();
//! assert_eq!(a, 12.0);
//! let radii = ndarray::arr1(&[1.0, 2.0]);
//! let t: f64 = engine.call("shapes.total", (radii,)).unwrap();
//! assert_eq!(t, 15.0);
//! ```
//!
//! Loaded code is a set of nk *modules* (definitions only: `import`, `const`, `fn`).
//! Functions are generic, as in nk itself: calling one with Rust arguments specializes it
//! for their types on first use (the engine writes a one-line nk caller for that argument
//! list and checks it with everything loaded), and later calls with the same types reuse
//! the compiled code. Compile errors come back as [`Error::Compile`], rendered exactly as
//! `nvm` renders them; runtime errors as [`Error::Runtime`] with the nk call chain.
//!
//! **Threads**: an `Engine` is neither `Send` nor `Sync` (its values are reference
//! counted); use one per thread. Engines on different threads or processes can share one
//! code heap folder ([`EngineBuilder::cache_dir`]), so code compiled by one is loaded by
//! the others.
//!
//! **Stopping** a long call: set the flag of [`Engine::interrupt_handle`] (from another
//! thread, a timer, a signal handler); the running nk code stops at its next loop
//! iteration, in either tier, and the call returns [`Error::Runtime`] with the message
//! "interrupted". [`EngineBuilder::time_limit`] does this for every call that runs longer
//! than a budget (the message then says so).
//!
//! **Arrays** of `i64`, `f64` and `bool` with 1 to 3 dimensions cross in every layout
//! (transposed, reversed, stepped, views of views): nk always sees the elements in
//! ndarray's logical order. How they cross (in a table: [`IntoNk`]):
//! - by `&mut` (or as an `ArrayViewMut`) an array is *lent*: nk reads and writes the
//!   caller's memory in place, whatever its strides, and the loan ends when the call
//!   returns (if nk returns a view of it, the result is a copy). nk addresses memory with
//!   non-negative strides and 8-byte words only, so an array with a negative stride or of
//!   `bool` is copied in and *written back* element by element when the call ends (also
//!   after a runtime error): nk's writes are seen by the caller either way.
//! - by `&` (or as an `ArrayView`) an array is lent *read-only* when the function called
//!   writes no array, directly or through its callees or host functions
//!   (`ir::effects::writes_arrays`); otherwise nk gets a copy and the caller's array is
//!   never changed.
//! - by value, an owned standard-layout `i64`/`f64` array moves its buffer into nk without
//!   copying; other arrays are copied.
//!
//! Arguments are tuples of up to 16 values (nested tuples are nk tuples), or a `Vec`,
//! array or slice for any number ([`IntoArgs`]). An nk result becomes an `ndarray::Array`
//! (`ArrayD` of the value's rank, or `Array1`..`Array3`), without copying when nk's buffer
//! belongs to the result alone, a scalar, a tuple (nested) or a [`Value`] ([`FromNk`]).
//! A value that cannot cross is an [`Error::Usage`] naming the argument, the nk type
//! expected and what was given ([`ConvertError`]); no conversion panics.
//!
//! ```
//! use nvm::engine::Engine;
//!
//! let mut engine = Engine::new();
//! engine.load_str("m", "fn scale(xs: f64[], k: f64) { xs[:] = xs * k; }").unwrap();
//! let mut a = ndarray::arr2(&[[1.0, 2.0], [3.0, 4.0]]);
//! let mut column = a.column_mut(1); // a strided view: lent as it is
//! let () = engine.call("scale", (&mut column, 10.0)).unwrap();
//! assert_eq!(a, ndarray::arr2(&[[1.0, 20.0], [3.0, 40.0]]));
//! ```
//!
//! **Host functions**: [`Engine::register_fn`] makes a Rust function or closure (`Send +
//! 'static`) callable from nk, type-checked like a built-in (see [`host`]);
//! [`Engine::register_fn_with`] gives it state of its own (`&mut S`, readable between calls
//! through a [`HostState`]). A panic in a host function is an nk runtime error and prints
//! nothing.
//!
//! ```
//! use nvm::engine::Engine;
//!
//! let mut engine = Engine::new();
//! let rate = 0.25;
//! engine.register_fn("tax", move |income: f64| income * rate).unwrap();
//! engine.load_str("m", "fn net(x: f64) -> f64 { return x - tax(x); }").unwrap();
//! assert_eq!(engine.call::<f64>("net", (100.0,)).unwrap(), 75.0);
//! ```

mod convert;
pub mod host;

pub use convert::{Args, ConvertError, FromNk, IntoArgs, IntoNk, Loans, NkData, NkElement, Seal};
pub use host::{HostArg, HostFunction, HostFunctionWith, HostRet, HostState};

use crate::diag::CompileError;
use crate::driver::{render_runtime_error, Checked, Failure};
use crate::interp::{HostFn, Value};
use crate::ir::{HostSig, Type};
use crate::options::Options;
use crate::vm::{Tier, Vm};
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// What went wrong in an engine call.
#[derive(Debug, Clone)]
pub enum Error {
    /// Syntax or type errors: each with its file, line and column
    /// ([`CompileError::diagnostics`]); displayed with the source line and a caret.
    Compile(CompileError),
    /// An nk runtime error: the message, the call chain (outermost first, as
    /// `name at file:line:col`), and the whole rendered diagnostic.
    Runtime {
        message: String,
        chain: Vec<String>,
        rendered: String,
    },
    /// A call the engine cannot make: unknown function, a result of another type than
    /// asked for, an argument nk has no type for.
    Usage(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Compile(r) => write!(f, "{}", r.trim_end()),
            Error::Runtime { rendered, .. } => write!(f, "{}", rendered.trim_end()),
            Error::Usage(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for Error {}

/// Configures an [`Engine`].
pub struct EngineBuilder {
    options: Options,
    capture: bool,
    time_limit: Option<Duration>,
    interrupt: Option<Arc<AtomicBool>>,
}

/// The engine reads no environment variable: what the `nvm` binary takes from
/// `NVM_CACHE_DIR`, `NVM_PATH`, `NVM_PERF_MAP` or `NVM_DUMP_OPT` is set here.
impl EngineBuilder {
    /// Every setting of [`Options`] at once (replacing those made before).
    pub fn options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }
    /// Which tier runs the code (default: [`Tier::Auto`]).
    pub fn tier(mut self, tier: Tier) -> Self {
        self.options.policy.tier = tier;
        self
    }
    /// In `Auto`, calls after which a loop-free function is compiled (default:
    /// [`crate::vm::DEFAULT_JIT_CALLS`]).
    pub fn jit_calls(mut self, n: u32) -> Self {
        self.options.policy.jit_calls = n;
        self
    }
    /// Keep compiled code in (and load it from) this code heap folder. Default: none.
    pub fn cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.options.cache_dir = Some(dir.into());
        self
    }
    /// A folder searched for `import`ed modules after a module's own (as `NVM_PATH` is for
    /// `nvm run`); each call adds one, searched in the order added.
    pub fn module_path(mut self, dir: impl Into<PathBuf>) -> Self {
        self.options.module_path.push(dir.into());
        self
    }
    /// Name compiled code for `perf` in `/tmp/perf-PID.map` (as `NVM_PERF_MAP` does for
    /// `nvm`). Default: off.
    pub fn perf_map(mut self, on: bool) -> Self {
        self.options.perf_map = on;
        self
    }
    /// Collect what nk `print`s instead of writing it to stdout ([`Engine::take_output`]).
    pub fn capture_output(mut self) -> Self {
        self.capture = true;
        self
    }
    /// Stop any call that runs longer than `limit` (a runaway loop, in either tier) with
    /// a runtime error saying so. Default: no limit.
    /// Poll `flag` as this engine's stop flag (default: a flag of its own). Several engines
    /// can share one; a signal handler can set it (the REPL's Ctrl-C does).
    pub fn interrupt_flag(mut self, flag: Arc<AtomicBool>) -> Self {
        self.interrupt = Some(flag);
        self
    }
    pub fn time_limit(mut self, limit: Duration) -> Self {
        self.time_limit = Some(limit);
        self
    }
    pub fn build(self) -> Engine {
        let interrupt = self
            .interrupt
            .unwrap_or_else(|| Arc::new(AtomicBool::new(false)));
        Engine {
            watchdog: self
                .time_limit
                .map(|limit| Watchdog::start(limit, interrupt.clone())),
            interrupt,
            hosts: Vec::new(),
            options: self.options,
            output: self.capture.then(|| Rc::new(RefCell::new(Vec::new()))),
            modules: Vec::new(),
            entries: Vec::new(),
            state: None,
        }
    }
}

/// Where a loaded module's text comes from.
#[derive(Clone)]
enum Source {
    Text(String),
    File(PathBuf),
}

/// A call the engine made possible: `__nvm_entry_K(a0, ...)` calls `target`.
struct Entry {
    target: String,
    arg_types: Vec<String>,
    /// The target returns nothing: the entry calls it as a statement.
    statement: bool,
}

struct State {
    checked: Checked,
    it: Vm<'static>,
    /// Entry index → its specialization.
    ids: HashMap<usize, u32>,
}

/// An nk engine: load modules, call their functions. See the module documentation.
pub struct Engine {
    /// Registered host functions (`Builtin::Host(i)` is `hosts[i]`).
    hosts: Vec<(HostSig, HostFn)>,
    /// The stop flag of this engine's interpreters.
    interrupt: Arc<AtomicBool>,
    watchdog: Option<Watchdog>,
    options: Options,
    output: Option<Rc<RefCell<Vec<u8>>>>,
    modules: Vec<(String, Source)>,
    entries: Vec<Entry>,
    state: Option<State>,
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new()
    }
}

/// A `Write` into the engine's capture buffer.
struct Capture(Rc<RefCell<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Engine {
    /// An engine with the defaults: tier `auto`, no code heap, output to stdout.
    pub fn new() -> Engine {
        Engine::builder().build()
    }

    pub fn builder() -> EngineBuilder {
        EngineBuilder {
            options: Options::default(),
            capture: false,
            time_limit: None,
            interrupt: None,
        }
    }

    /// Loads a module from text; its functions are `name.f` (or just `f` when no other
    /// module has an `f`). Loading a module of the same name again replaces it: functions
    /// called later use the new definitions.
    pub fn load_str(&mut self, name: &str, text: &str) -> Result<(), Error> {
        self.add_module(name, Source::Text(text.to_string()))
    }

    /// Loads a module from a file; it is named after the file (`physics.nk` → `physics`)
    /// and its own imports are found beside it first.
    pub fn load_file(&mut self, path: impl AsRef<Path>) -> Result<(), Error> {
        let path = path.as_ref();
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .ok_or_else(|| Error::Usage(format!("{} is not a file name", path.display())))?;
        if !path.is_file() {
            return Err(Error::Usage(format!("cannot read {}", path.display())));
        }
        self.add_module(&name, Source::File(path.to_path_buf()))
    }

    fn add_module(&mut self, name: &str, src: Source) -> Result<(), Error> {
        let valid = !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        if !valid {
            return Err(Error::Usage(format!(
                "`{name}` cannot name a module (letters, digits and `_`, not starting with a digit)"
            )));
        }
        let old = self.modules.clone();
        self.modules.retain(|(n, _)| n != name);
        self.modules.push((name.to_string(), src));
        // Entries name functions of the old definitions, which may no longer fit: they
        // are made again on the next call.
        let old_entries = std::mem::take(&mut self.entries);
        // Check now, so errors show at load; on error the engine is as it was.
        let built = self.rebuild();
        self.restore_on_error(built, |e| {
            e.modules = old;
            e.entries = old_entries;
        })
    }

    /// The nk script that imports every module and defines the entry functions.
    fn script(&self) -> String {
        let mut s = String::new();
        for (name, _) in &self.modules {
            s.push_str(&format!("import {name};\n"));
        }
        for (k, e) in self.entries.iter().enumerate() {
            let params: Vec<String> = e
                .arg_types
                .iter()
                .enumerate()
                .map(|(i, t)| format!("a{i}: {t}"))
                .collect();
            let args: Vec<String> = (0..e.arg_types.len()).map(|i| format!("a{i}")).collect();
            s.push_str(&format!(
                "fn __nvm_entry_{k}({}) {{ {}{}({}); }}\n",
                params.join(", "),
                if e.statement { "" } else { "return " },
                e.target,
                args.join(", ")
            ));
        }
        s
    }

    /// Loads and checks everything again (after a load or a new entry) and starts a new
    /// interpreter over it; compiled code is kept across rebuilds by the code heap.
    fn rebuild(&mut self) -> Result<(), Error> {
        let mut texts = HashMap::new();
        let mut paths = Vec::new();
        for (name, src) in &self.modules {
            match src {
                Source::Text(t) => {
                    texts.insert(name.clone(), t.clone());
                }
                Source::File(p) => {
                    let text = crate::loader::read_source(p)
                        .map_err(|e| Error::Usage(format!("cannot read {}: {e}", p.display())))?;
                    texts.insert(name.clone(), text);
                    if let Some(d) = p.parent() {
                        paths.push(d.to_path_buf());
                    }
                }
            }
        }
        paths.extend(self.options.module_path.iter().cloned());
        let mut loaded =
            crate::loader::load_source_with("<engine>", self.script(), None, paths, texts);
        if let Ok(l) = &mut loaded {
            l.hosts = self.hosts.iter().map(|(sig, _)| sig.clone()).collect();
        }
        let checked = crate::driver::finish_check_loaded(loaded).map_err(|f| match f {
            Failure::Compile(r) => Error::Compile(r),
            other => Error::Usage(other.message().to_string()),
        })?;
        let out: Box<dyn Write> = match &self.output {
            Some(buf) => Box::new(Capture(buf.clone())),
            None => Box::new(std::io::stdout()),
        };
        let mut it = Vm::with_options(checked.program.clone(), out, &self.options);
        it.set_hosts(self.hosts.iter().map(|(_, f)| f.clone()).collect());
        it.set_interrupt_flag(self.interrupt.clone());
        let mut ids = HashMap::new();
        for (k, f) in checked.program.funcs.iter().enumerate() {
            if let Some(rest) = f.name.strip_prefix("__nvm_entry_") {
                if let Some(n) = rest.split('(').next().and_then(|n| n.parse().ok()) {
                    ids.insert(n, k as u32);
                }
            }
        }
        self.state = Some(State { checked, it, ids });
        Ok(())
    }

    /// After a failed rebuild: `undo` the change and rebuild what was there (which checked
    /// before), so the engine is as it was; the error is passed on.
    fn restore_on_error(
        &mut self,
        built: Result<(), Error>,
        undo: impl FnOnce(&mut Self),
    ) -> Result<(), Error> {
        if built.is_err() {
            undo(self);
            let _ = self.rebuild();
        }
        built
    }

    /// The module-qualified name of `func` (`f` → `m.f` if exactly one module defines it).
    fn qualify(&self, func: &str) -> Result<String, Error> {
        if func.contains('.') {
            return Ok(func.to_string());
        }
        let Some(state) = &self.state else {
            return Err(Error::Usage("no module is loaded".into()));
        };
        let _ = state;
        let mut found: Vec<String> = self
            .modules
            .iter()
            .filter(|(m, _)| self.module_defines(m, func))
            .map(|(m, _)| format!("{m}.{func}"))
            .collect();
        found.dedup();
        match found.len() {
            1 => Ok(found.remove(0)),
            0 => Err(Error::Usage(format!("no loaded module defines `{func}`"))),
            _ => Err(Error::Usage(format!(
                "`{func}` is defined in several modules ({}); say which",
                found.join(", ")
            ))),
        }
    }

    fn module_defines(&self, module: &str, func: &str) -> bool {
        let text = match self.modules.iter().find(|(m, _)| m == module) {
            Some((_, Source::Text(t))) => t.clone(),
            Some((_, Source::File(p))) => crate::loader::read_source(p).unwrap_or_default(),
            None => return false,
        };
        let (ast, _) = crate::syntax::parse(0, &text);
        ast.items
            .iter()
            .any(|i| matches!(i, crate::syntax::ast::Item::Fn(f) if f.name.name == func))
    }

    /// Calls nk function `func` (`f` or `module.f`) with `args` (a tuple of Rust values:
    /// `()`, `(x,)`, `(x, y)`, ... up to 16, or a `Vec`/slice of them, see [`IntoArgs`])
    /// and converts its result to `R` ([`FromNk`]).
    pub fn call<R: FromNk>(&mut self, func: &str, args: impl IntoArgs) -> Result<R, Error> {
        // `args` writes copies back into `&mut` arrays when dropped, after the call.
        let mut args = args.into_args(Seal::new())?;
        let v = self.call_values(func, args.take())?;
        R::from_nk(v).map_err(Error::from)
    }

    /// The nk type of a value, as written in a parameter list.
    pub fn type_of(v: &Value) -> Option<String> {
        Some(match v {
            Value::S(s) => s.prim().name().to_string(),
            Value::A(a) => Type::Array(a.elem(), a.shape().len() as u8).to_string(),
            Value::T(vs) => {
                let ts: Option<Vec<String>> = vs.iter().map(Engine::type_of).collect();
                format!("({})", ts?.join(", "))
            }
            Value::Unit => return None,
        })
    }

    /// The return type of `func` specialized for `arg_types` (specializing it if needed).
    pub fn return_type(&mut self, func: &str, arg_types: &[String]) -> Result<String, Error> {
        let target = self.qualify(func)?;
        let k = self.entry_for(&target, arg_types.to_vec())?;
        let state = self.state.as_ref().expect("rebuilt");
        let id = state.ids[&k];
        Ok(state.checked.program.funcs[id as usize].ret.to_string())
    }

    /// Which tier each specialization of `func` is in (name and tier); `""`: all.
    pub fn tiers(&self, func: &str) -> Vec<(String, &'static str)> {
        let Some(state) = &self.state else {
            return vec![];
        };
        let prefix = format!("{func}(");
        state
            .checked
            .program
            .funcs
            .iter()
            .enumerate()
            .filter(|(_, f)| {
                func.is_empty()
                    || f.name.starts_with(&prefix)
                    || f.name.contains(&format!(".{prefix}"))
            })
            .map(|(id, f)| (f.name.clone(), state.it.slot_tier(id as u32)))
            .collect()
    }

    /// The inspector's text (typed IR, bytecode) for `func`'s specializations.
    pub fn inspect(&mut self, func: &str) -> Result<String, Error> {
        let target = self.qualify(func).unwrap_or_else(|_| func.to_string());
        let state = self
            .state
            .as_ref()
            .ok_or(Error::Usage("nothing is loaded".into()))?;
        crate::driver::inspect(
            &state.checked,
            &target,
            None,
            &[crate::driver::Emit::Ir],
            &self.options,
        )
        .map_err(|e| Error::Usage(e.to_string()))
    }

    /// The code heap's counters, when the engine has one.
    pub fn heap_stats(&self) -> Option<crate::heap::HeapStats> {
        self.state.as_ref().and_then(|s| s.it.heap_stats())
    }

    /// The names of every function of the loaded modules.
    pub fn function_names(&self) -> Vec<String> {
        let Some(state) = &self.state else {
            return vec![];
        };
        let mut v: Vec<String> = state
            .checked
            .program
            .funcs
            .iter()
            .map(|f| f.name.split('(').next().unwrap_or("").to_string())
            .filter(|n| !n.starts_with("__nvm") && !n.starts_with('<'))
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// The entry index calling `target` with `arg_types`, made (and checked) if new.
    fn entry_for(&mut self, target: &str, arg_types: Vec<String>) -> Result<usize, Error> {
        if let Some(k) = self
            .entries
            .iter()
            .position(|e| e.target == target && e.arg_types == arg_types)
        {
            return Ok(k);
        }
        self.entries.push(Entry {
            target: target.to_string(),
            arg_types,
            statement: false,
        });
        let mut built = self.rebuild();
        if matches!(&built, Err(Error::Compile(r)) if r.contains("this call returns no value")) {
            if let Some(e) = self.entries.last_mut() {
                e.statement = true;
            }
            built = self.rebuild();
        }
        self.restore_on_error(built, |e| {
            e.entries.pop();
        })?;
        Ok(self.entries.len() - 1)
    }

    /// [`Engine::call`] with nk values (each with its nk type).
    pub fn call_values(&mut self, func: &str, args: Vec<(String, Value)>) -> Result<Value, Error> {
        let target = self.qualify(func)?;
        let arg_types: Vec<String> = args.iter().map(|(t, _)| t.clone()).collect();
        let k = self.entry_for(&target, arg_types)?;
        let state = self.state.as_mut().expect("rebuilt");
        let id = *state
            .ids
            .get(&k)
            .ok_or_else(|| Error::Usage(format!("internal: entry for `{target}` missing")))?;
        let mut values: Vec<Value> = args.into_iter().map(|(_, v)| v).collect();
        if convert::has_readonly_loans(&values)
            && crate::ir::effects::writes_arrays(&state.checked.program, id)
        {
            convert::copy_readonly_loans(&mut values);
        }
        // Arrays lent by the caller (`&mut`): every reference to them must be gone when
        // this call returns.
        let mut lent = Vec::new();
        values.iter().for_each(|v| lent_storages(v, &mut lent));
        if let Some(w) = &self.watchdog {
            w.arm();
        }
        let result =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| state.it.call(id, &values)));
        let timed_out = self.watchdog.as_ref().is_some_and(|w| w.disarm());
        state.it.clear_registers();
        state.it.flush();
        drop(values);
        let result = match result {
            // A result that is (or holds) a view of lent memory is copied out of it.
            Ok(Ok(v)) => Ok(detach(v)),
            Ok(Err(mut e)) => {
                if timed_out && e.message == crate::vm::INTERRUPTED {
                    let limit = self.watchdog.as_ref().map(|w| w.limit).unwrap_or_default();
                    e.message = format!("time limit exceeded: the call ran longer than {limit:?}");
                }
                // The engine's entry function is not the user's.
                e.chain.retain(|(n, _)| !n.starts_with("__nvm_entry_"));
                let sources = &state.checked.sources;
                let chain = e
                    .chain
                    .iter()
                    .map(|(n, sp)| format!("{n} at {}", sources.location(*sp)))
                    .collect();
                Err(Error::Runtime {
                    message: e.message.clone(),
                    chain,
                    rendered: render_runtime_error(sources, &e, false),
                })
            }
            Err(_) => Err(Error::Usage(format!(
                "internal error while calling `{target}` (a bug in nvm)"
            ))),
        };
        if lent.iter().any(|w| w.strong_count() > 0) {
            // Cannot happen (nk has no global state that could keep an array); if it did,
            // the interpreter is dropped so that nothing can reach the memory again.
            self.state = None;
            return Err(Error::Usage(format!(
                "internal error: a lent array outlived the call of `{target}` (a bug in nvm)"
            )));
        }
        result
    }

    /// A flag that stops the running call when set (from any thread): nk code checks it at
    /// every loop iteration, in both tiers, and the call returns the runtime error
    /// "interrupted". Each call clears it on entry.
    pub fn interrupt_handle(&self) -> Arc<AtomicBool> {
        self.interrupt.clone()
    }

    /// Makes the Rust function or closure `f` callable from nk as `name(...)`, in every
    /// module (a module's own function of that name comes first). Its nk signature comes
    /// from its Rust types (see [`host`]); calls are type-checked like a built-in's.
    /// Registering a name again replaces the function; if a function called earlier no
    /// longer type-checks with the new signature, the error is returned and nothing changes.
    ///
    /// `f` is `Send + 'static`: share state through atomics or `Arc<Mutex<_>>`, or let the
    /// engine keep it ([`Engine::register_fn_with`]). A panic in `f` is caught, prints
    /// nothing, and becomes an nk runtime error ("host function panicked: ...").
    pub fn register_fn<Args, F: HostFunction<Args>>(
        &mut self,
        name: &str,
        f: F,
    ) -> Result<(), Error> {
        let ident = !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        if !ident || name.starts_with("__") {
            return Err(Error::Usage(format!(
                "`{name}` cannot name a host function (letters, digits and `_`, not starting with a digit or `__`)"
            )));
        }
        if crate::types::is_builtin_name(name)
            || matches!(name, "print" | "assert" | "range")
            || crate::syntax::is_keyword(name)
        {
            return Err(Error::Usage(format!(
                "`{name}` is a built-in name of nk; choose another name for the host function"
            )));
        }
        let (params, ret) = F::signature().map_err(Error::Usage)?;
        let sig = HostSig {
            name: name.to_string(),
            params,
            ret,
        };
        let old = self.hosts.clone();
        match self.hosts.iter_mut().find(|(s, _)| s.name == name) {
            Some(slot) => *slot = (sig, f.into_host()),
            None => self.hosts.push((sig, f.into_host())),
        }
        // The calls made so far are checked again with the new signature.
        let built = self.rebuild();
        self.restore_on_error(built, |e| e.hosts = old)
    }

    /// What nk printed since the last call (with [`EngineBuilder::capture_output`]).
    pub fn take_output(&mut self) -> String {
        match &self.output {
            Some(buf) => {
                String::from_utf8_lossy(&std::mem::take(&mut *buf.borrow_mut())).into_owned()
            }
            None => String::new(),
        }
    }

    /// Counters of the current interpreter (tiers, code heap).
    pub fn stats(&self) -> crate::vm::Stats {
        self.state
            .as_ref()
            .map(|s| s.it.stats.clone())
            .unwrap_or_default()
    }
}

/// The lent storages `v` refers to.
fn lent_storages(v: &Value, out: &mut Vec<std::rc::Weak<crate::runtime::Storage>>) {
    match v {
        Value::A(a) => out.extend(a.lent_storage()),
        Value::T(vs) => vs.iter().for_each(|v| lent_storages(v, out)),
        Value::S(_) | Value::Unit => {}
    }
}

/// `v` with every array over lent memory replaced by a copy.
fn detach(v: Value) -> Value {
    match v {
        Value::A(a) if a.lent_storage().is_some() => Value::A(Rc::new(a.copy())),
        Value::T(vs) => Value::T(vs.into_iter().map(detach).collect()),
        other => other,
    }
}

/// Sets an engine's stop flag when a call runs past its time limit: one thread per engine,
/// asleep between calls.
struct Watchdog {
    limit: Duration,
    shared: Arc<WatchShared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

struct WatchShared {
    /// (deadline of the running call, engine dropped)
    state: Mutex<(Option<Instant>, bool)>,
    wake: Condvar,
    flag: Arc<AtomicBool>,
    fired: AtomicBool,
}

impl Watchdog {
    fn start(limit: Duration, flag: Arc<AtomicBool>) -> Watchdog {
        let shared = Arc::new(WatchShared {
            state: Mutex::new((None, false)),
            wake: Condvar::new(),
            flag,
            fired: AtomicBool::new(false),
        });
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("nvm-watchdog".into())
            .spawn(move || {
                let mut st = s.state.lock().unwrap_or_else(|e| e.into_inner());
                loop {
                    match *st {
                        (_, true) => return,
                        (None, _) => st = s.wake.wait(st).unwrap_or_else(|e| e.into_inner()),
                        (Some(d), _) => {
                            let now = Instant::now();
                            if now >= d {
                                s.fired.store(true, Ordering::SeqCst);
                                s.flag.store(true, Ordering::SeqCst);
                                st.0 = None;
                            } else {
                                st = s
                                    .wake
                                    .wait_timeout(st, d - now)
                                    .unwrap_or_else(|e| e.into_inner())
                                    .0;
                            }
                        }
                    }
                }
            })
            .ok();
        Watchdog {
            limit,
            shared,
            thread,
        }
    }

    /// A call starts now.
    fn arm(&self) {
        self.shared.fired.store(false, Ordering::SeqCst);
        let mut st = self.shared.state.lock().unwrap_or_else(|e| e.into_inner());
        st.0 = Some(Instant::now() + self.limit);
        self.shared.wake.notify_one();
    }

    /// The call ended; whether the limit stopped it.
    fn disarm(&self) -> bool {
        let mut st = self.shared.state.lock().unwrap_or_else(|e| e.into_inner());
        st.0 = None;
        self.shared.fired.load(Ordering::SeqCst)
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.shared
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .1 = true;
        self.shared.wake.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
