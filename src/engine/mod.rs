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
//! **Threads**: an `Engine` is `Send` and `Sync` (its state is behind one mutex, so calls
//! on one engine from several threads take turns); for parallel work use one engine per
//! thread. Engines on different threads or processes can share one code heap folder
//! ([`EngineBuilder::cache_dir`]), so code compiled by one is loaded by the others.
//!
//! **Stopping** a long call: set the flag of [`Engine::interrupt_handle`] (from another
//! thread, a timer, a signal handler); the running nk code stops at its next loop
//! iteration, in either tier, and the call returns [`Error::Runtime`] with the message
//! "interrupted". [`EngineBuilder::time_limit`] does this for every call that runs longer
//! than a budget (the message then says so).
//!
//! **Arrays** of every element type (`bool`, `u8`, `i32`, `i64`, `f32`, `f64`) with 1 to
//! 3 dimensions cross in every layout
//! (transposed, reversed, stepped, views of views): nk always sees the elements in
//! ndarray's logical order. How they cross (in a table: [`IntoNk`]):
//! - by `&mut` (or as an `ArrayViewMut`) an array is *lent*: nk reads and writes the
//!   caller's memory in place, whatever its strides, and the loan ends when the call
//!   returns (if nk returns a view of it, the result is a copy). nk addresses memory with
//!   non-negative strides only, so an array with a negative stride is copied in and
//!   *written back* element by element when the call ends (also after a runtime error):
//!   nk's writes are seen by the caller either way.
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
mod typed;

pub use convert::{
    Args, ConvertError, DynArg, DynArrayMut, DynArrayRef, FromNk, IntoArgs, IntoNk, Loans, NkData,
    NkElement, Seal,
};
pub use host::{HostArg, HostFunction, HostFunctionWith, HostRet, HostState};
pub use typed::{Func, NkType, Params};

use crate::diag::{CompileError, Diagnostic};
use crate::driver::render_runtime_error;
use crate::interp::{HostFn, Value};
use crate::ir::{FuncId, HostSig, Type};
use crate::loader::{ModuleId, ModuleSource};
use crate::options::Options;
use crate::types::{DefId, ProgramChecker};
use crate::vm::{Tier, Vm};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// What went wrong in an engine call.
#[derive(Debug, Clone)]
pub enum Error {
    /// Syntax or type errors: each with its file, line and column
    /// ([`CompileError::diagnostics`]); displayed with the source line and a caret.
    Compile(CompileError),
    /// An nk runtime error: the message, the call chain (outermost first), and the whole
    /// rendered diagnostic.
    Runtime {
        /// What went wrong (`index 10 is out of bounds for axis 0 with size 2`).
        message: String,
        /// The nk functions active, outermost first.
        chain: Vec<Frame>,
        /// The whole diagnostic as `nvm` prints it (message, source line, call chain).
        rendered: String,
    },
    /// A call the engine cannot make: unknown function, arguments of other types than
    /// the function takes, a result of another type than asked for.
    Usage(String),
}

/// One frame of an nk call chain: the function (a specialization, `m.f(f64[])`) and the
/// place in it that was running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The specialization (`physics.outer(f64[])`).
    pub function: String,
    /// The file (a path, an engine module's name, `REPL[3]`).
    pub file: String,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
}

impl fmt::Display for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at {}:{}:{}",
            self.function, self.file, self.line, self.column
        )
    }
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
    memory_limit: Option<u64>,
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
    /// [`crate::DEFAULT_JIT_CALLS`]).
    pub fn jit_calls(mut self, n: u32) -> Self {
        self.options.policy.jit_calls = n;
        self
    }
    /// Threads that run the iterations of a `prange` loop in native code (default: one
    /// per core; 1 runs every loop serially). The calling thread waits for them; they
    /// share the engine's time limit, interrupt handle and memory limit.
    pub fn threads(mut self, n: usize) -> Self {
        self.options.threads = n.max(1);
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
    /// Poll `flag` as this engine's stop flag (default: a flag of its own). Several engines
    /// can share one; a signal handler can set it (the REPL's Ctrl-C does).
    pub fn interrupt_flag(mut self, flag: Arc<AtomicBool>) -> Self {
        self.interrupt = Some(flag);
        self
    }
    /// Stop any call that runs longer than `limit` (a runaway loop, in either tier) with
    /// a runtime error saying so. Default: no limit.
    pub fn time_limit(mut self, limit: Duration) -> Self {
        self.time_limit = Some(limit);
        self
    }
    /// Cap the memory nk arrays made by this engine's calls may hold at once, in bytes
    /// (arrays lent by the caller do not count). An allocation that would pass it is a
    /// runtime error ("memory limit exceeded: ..."), in either tier. Default: none (an
    /// allocation larger than the machine's memory is an error anyway).
    ///
    /// ```
    /// use nvm::{Engine, Error};
    ///
    /// let mut engine = Engine::builder().memory_limit(1 << 20).build();
    /// engine.load_str("m", "fn big(n: i64) -> f64 { return sum(zeros(n)); }").unwrap();
    /// assert_eq!(engine.call::<f64>("big", (1000i64,)).unwrap(), 0.0);
    /// match engine.call::<f64>("big", (1_000_000i64,)) {
    ///     Err(Error::Runtime { message, .. }) => assert!(message.starts_with("memory limit exceeded")),
    ///     other => panic!("{other:?}"),
    /// }
    /// ```
    pub fn memory_limit(mut self, bytes: u64) -> Self {
        self.memory_limit = Some(bytes);
        self
    }
    /// The engine.
    pub fn build(self) -> Engine {
        let interrupt = self
            .interrupt
            .unwrap_or_else(|| Arc::new(AtomicBool::new(false)));
        let output = self.capture.then(|| Arc::new(Mutex::new(Vec::new())));
        let loaded = crate::loader::load_source("<engine>", String::new(), None)
            .expect("an empty script and the embedded prelude load");
        let (checker, program) =
            ProgramChecker::new(loaded).expect("an empty script and the prelude check");
        let out: Box<dyn Write> = match &output {
            Some(buf) => Box::new(Capture(buf.clone())),
            None => Box::new(FlushWhenWritten {
                out: std::io::stdout(),
                dirty: false,
            }),
        };
        let mut vm = Vm::with_options(Rc::new(program), out, &self.options);
        vm.set_interrupt_flag(interrupt.clone());
        let inner = Inner {
            checker,
            vm,
            hosts: Vec::new(),
            watchdog: self
                .time_limit
                .map(|limit| Watchdog::start(limit, interrupt.clone())),
            budget: self
                .memory_limit
                .map(|limit| crate::runtime::MemoryBudget::new(limit, interrupt.clone())),
            interrupt,
            options: self.options,
            output,
            modules: Vec::new(),
            pending: Vec::new(),
            names: HashMap::new(),
            entries: HashMap::new(),
            last_call: HashMap::new(),
            scratch: Vec::new(),
            writes: HashMap::new(),
            retired: HashSet::new(),
        };
        Engine {
            shared: Arc::new(EngineCell {
                owner: AtomicUsize::new(0),
                inner: Mutex::new(inner),
            }),
        }
    }
}

/// An nk engine: load modules, call their functions. See the module documentation.
///
/// `Send` and `Sync`: an engine can move to another thread, and be shared (calls take
/// turns). Clones of [`Func`] handles share it.
pub struct Engine {
    shared: Shared,
}

/// The engine's state behind its lock, with the thread holding the lock (to refuse a
/// host function calling back into its own engine instead of deadlocking).
pub(crate) struct EngineCell {
    owner: AtomicUsize,
    inner: Mutex<Inner>,
}

pub(crate) type Shared = Arc<EngineCell>;

/// A number for the current thread (the address of a thread-local).
fn thread_tag() -> usize {
    thread_local!(static TAG: u8 = const { 0 });
    TAG.with(|t| t as *const u8 as usize)
}

/// The engine's state, locked for the current thread.
pub(crate) struct Locked<'e> {
    cell: &'e EngineCell,
    guard: MutexGuard<'e, Inner>,
}

impl std::ops::Deref for Locked<'_> {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.guard
    }
}

impl std::ops::DerefMut for Locked<'_> {
    fn deref_mut(&mut self) -> &mut Inner {
        &mut self.guard
    }
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        self.cell.owner.store(0, Ordering::Release);
    }
}

/// Locks the engine for this thread; a call into an engine from inside one of its own
/// calls (a host function calling back) is an error, not a deadlock.
pub(crate) fn lock(shared: &EngineCell) -> Result<Locked<'_>, Error> {
    let me = thread_tag();
    if shared.owner.load(Ordering::Acquire) == me {
        return Err(Error::Usage(
            "the engine is busy with a call on this thread (a host function cannot call into its own engine)".into(),
        ));
    }
    // A panic while locked is caught inside; poisoning cannot leave a broken state.
    let guard = shared.inner.lock().unwrap_or_else(|e| e.into_inner());
    shared.owner.store(me, Ordering::Release);
    Ok(Locked {
        cell: shared,
        guard,
    })
}

/// The specialization a name was last called with (by [`Engine::call`]): a call with
/// arguments of the same types reuses it without building a key.
struct LastCall {
    types: Vec<Type>,
    id: FuncId,
    widen: Widen,
}

/// A module waiting for modules it imports to be loaded.
struct Pending {
    name: String,
    source: ModuleSource,
    /// The imports not found (for messages).
    missing: Vec<String>,
}

pub(crate) struct Inner {
    checker: ProgramChecker,
    vm: Vm<'static>,
    /// Registered host functions (`Builtin::Host(i)` is `hosts[i]`).
    hosts: Vec<(HostSig, HostFn)>,
    /// The stop flag of this engine's calls.
    interrupt: Arc<AtomicBool>,
    watchdog: Option<Watchdog>,
    /// The memory cap of this engine's calls.
    budget: Option<Arc<crate::runtime::MemoryBudget>>,
    options: Options,
    output: Option<Arc<Mutex<Vec<u8>>>>,
    /// The modules loaded by name (not those only imported), in load order.
    modules: Vec<(String, ModuleId)>,
    pending: Vec<Pending>,
    /// Names resolved so far (`f`, `m.f`); cleared when modules change.
    names: HashMap<String, DefId>,
    /// (definition, argument types) → specialization, for calls by name.
    entries: HashMap<(DefId, Vec<Type>), (FuncId, Widen)>,
    /// Per name called: the last specialization (cleared when modules change).
    last_call: HashMap<String, LastCall>,
    /// The argument vector typed handles reuse.
    pub(crate) scratch: Vec<Value>,
    /// Which specializations may write an array ([`crate::ir::effects::writes_arrays`]).
    writes: HashMap<FuncId, bool>,
    /// Specializations whose function a newer version of its module no longer has.
    retired: HashSet<FuncId>,
}

// SAFETY: `Inner` holds `Rc`s (the program, bytecode, the register files' values, host
// functions) and so is not `Send` by itself. None of them is ever shared with anything
// outside the engine: argument values are dropped when a call returns (the register files
// are cleared; a lent array outliving its call is detected and the engine poisoned);
// compiled code holds no array values (bytecode constants are scalars), so a result array
// is the caller's alone or copied (`detach`, and conversion to Rust values); host
// functions must be `Send`; output goes to stdout or an `Arc<Mutex<..>>`; executable memory
// is shared with the thread that filled it through `Arc`s (`jit::code_memory`). Every access
// goes through the `Mutex` in `EngineCell`, so only one thread touches the `Rc`s at a
// time, and moving all of them together to another thread is sound. (An nk version that
// adds array constants must copy them out, or this no longer holds.)
unsafe impl Send for Inner {}

impl Default for Engine {
    fn default() -> Self {
        Engine::new()
    }
}

/// Stdout, flushed after a call only if the call printed (a flush locks stdout).
struct FlushWhenWritten {
    out: std::io::Stdout,
    dirty: bool,
}

impl Write for FlushWhenWritten {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.dirty = true;
        self.out.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        if std::mem::take(&mut self.dirty) {
            self.out.flush()
        } else {
            Ok(())
        }
    }
}

/// A `Write` into the engine's capture buffer.
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn is_ident(name: &str) -> bool {
    !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
}

impl Engine {
    /// An engine with the defaults: tier `auto`, no code heap, output to stdout.
    pub fn new() -> Engine {
        Engine::builder().build()
    }

    /// A builder for an engine with other settings.
    pub fn builder() -> EngineBuilder {
        EngineBuilder {
            options: Options::default(),
            capture: false,
            time_limit: None,
            memory_limit: None,
            interrupt: None,
        }
    }

    fn inner(&self) -> Result<Locked<'_>, Error> {
        lock(&self.shared)
    }

    /// Loads a module from text; its functions are `name.f` (or just `f` when no other
    /// module has an `f`). Modules can be loaded in any order, also modules that import
    /// each other: a module whose imports are not loaded yet waits for them (calling into
    /// it before says which are missing). Loading a module of the same name again
    /// replaces it: its functions, and whatever calls them, are checked again, and every
    /// caller uses the new definitions from its next call; if that would break a
    /// function of another module, the error names it and nothing changes.
    pub fn load_str(&mut self, name: &str, text: &str) -> Result<(), Error> {
        self.inner()?
            .load(name, ModuleSource::Text(text.to_string()))
    }

    /// Loads a module from a file (read once, now); it is named after the file
    /// (`physics.nk` → `physics`) and its own imports are found beside it first.
    pub fn load_file(&mut self, path: impl AsRef<Path>) -> Result<(), Error> {
        let path = path.as_ref();
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .ok_or_else(|| Error::Usage(format!("{} is not a file name", path.display())))?;
        let text = crate::loader::read_source(path)
            .map_err(|e| Error::Usage(format!("cannot read {}: {e}", path.display())))?;
        self.inner()?
            .load(&name, ModuleSource::File(path.to_path_buf(), text))
    }

    /// A typed handle on `func` (`f` or `module.f`) specialized for the argument types
    /// `A` (a tuple of Rust types) with result type `R`: checked now — a wrong number or
    /// type of arguments, or another result type, is an error naming the function, what
    /// it takes and what was given — and then called without any lookup.
    pub fn func<A: Params, R: NkType>(&self, func: &str) -> Result<Func<A, R>, Error> {
        let given = A::types().map_err(|e| Error::Usage(format!("`{func}`: {e}")))?;
        let want = R::nk_type().map_err(|e| Error::Usage(format!("`{func}`: {e}")))?;
        let mut inner = self.inner()?;
        let did = inner.resolve(func)?;
        let (id, widen) = inner.specialize(did, given)?;
        let f = &inner.vm.program().funcs[id as usize];
        if f.ret != want {
            return Err(Error::Usage(format!(
                "`{}` returns {}, not {want} as asked",
                f.name, f.ret
            )));
        }
        let scalar = matches!(want, Type::Prim(_) | Type::Unit)
            && f.params
                .iter()
                .all(|&p| matches!(f.locals[p as usize].ty, Type::Prim(_)));
        Ok(Func {
            shared: self.shared.clone(),
            id,
            scalar,
            arity: f.params.len(),
            ret: want,
            widen,
            name: f.name.clone(),
            _types: std::marker::PhantomData,
        })
    }

    /// Calls nk function `func` (`f` or `module.f`) with `args` (a tuple of Rust values:
    /// `()`, `(x,)`, `(x, y)`, ... up to 16, or a `Vec`/slice of them, see [`IntoArgs`])
    /// and converts its result to `R` ([`FromNk`]). Looks the function up by name on
    /// every call; [`Engine::func`] resolves it once.
    pub fn call<R: FromNk>(&mut self, func: &str, args: impl IntoArgs) -> Result<R, Error> {
        // `args` writes copies back into `&mut` arrays when dropped, after the call.
        let mut args = args.into_args(Seal::new())?;
        let values = args.take().into_iter().map(|(_, v)| v).collect();
        let v = self.call_values(func, values)?;
        drop(args);
        R::from_nk(v).map_err(Error::from)
    }

    /// [`Engine::call`] with nk values.
    pub fn call_values(&mut self, func: &str, mut args: Vec<Value>) -> Result<Value, Error> {
        {
            // The specialization this name was last called with, if the types match.
            let mut inner = self.inner()?;
            let hit = inner
                .last_call
                .get(func)
                .filter(|c| {
                    c.types.len() == args.len()
                        && args.iter().zip(&c.types).all(|(v, t)| has_type(v, t))
                })
                .map(|c| {
                    c.widen.values(&mut args);
                    c.id
                });
            if let Some(id) = hit {
                return inner.call_id(id, None, func, &mut args);
            }
        }
        let mut types = Vec::with_capacity(args.len());
        for (i, v) in args.iter().enumerate() {
            types.push(value_type(v).ok_or_else(|| {
                Error::Usage(format!("argument {} of `{func}` has no nk type", i + 1))
            })?);
        }
        let mut inner = self.inner()?;
        let did = inner.resolve(func)?;
        let (id, widen) = inner.specialize(did, types.clone())?;
        widen.values(&mut args);
        inner
            .last_call
            .insert(func.to_string(), LastCall { types, id, widen });
        inner.call_id(id, None, func, &mut args)
    }

    /// The nk type of a value, as written in a parameter list.
    pub fn type_of(v: &Value) -> Option<String> {
        value_type(v).map(|t| t.to_string())
    }

    /// The return type of `func` specialized for `arg_types` (specializing it if needed).
    pub fn return_type(&mut self, func: &str, arg_types: &[Type]) -> Result<Type, Error> {
        let mut inner = self.inner()?;
        let did = inner.resolve(func)?;
        let (id, _) = inner.specialize(did, arg_types.to_vec())?;
        Ok(inner.vm.program().funcs[id as usize].ret.clone())
    }

    /// Which tier each specialization of `func` is in (name and tier); `""`: all.
    pub fn tiers(&self, func: &str) -> Vec<(String, &'static str)> {
        let Ok(inner) = self.inner() else {
            return vec![];
        };
        let prefix = format!("{func}(");
        inner
            .vm
            .program()
            .funcs
            .iter()
            .enumerate()
            .filter(|(_, f)| !f.name.starts_with('<'))
            .filter(|(_, f)| {
                func.is_empty()
                    || f.name.starts_with(&prefix)
                    || f.name.contains(&format!(".{prefix}"))
            })
            .map(|(id, f)| (f.name.clone(), inner.vm.slot_tier(id as u32)))
            .collect()
    }

    /// The inspector's text (typed IR, bytecode) for `func`'s specializations.
    pub fn inspect(&mut self, func: &str) -> Result<String, Error> {
        let inner = self.inner()?;
        let checked = crate::driver::Checked {
            sources: inner.checker.loaded().sources.clone(),
            program: inner.vm.program_rc(),
            bytecode: None,
            image: None,
            warnings: Vec::new(),
            pack: None,
        };
        let r = crate::driver::inspect(
            &checked,
            func,
            None,
            &[crate::driver::Emit::Ir],
            &inner.options,
        )
        .map_err(|e| Error::Usage(e.to_string()));
        drop(checked);
        r
    }

    /// The code heap's counters, when the engine has one.
    pub fn heap_stats(&self) -> Option<crate::heap::HeapStats> {
        self.inner().ok()?.vm.heap_stats()
    }

    /// Removes entries from the engine's code heap folder: older than `max_age`, then the
    /// least recently used until it holds at most `max_bytes` (as `nvm cache gc`). Returns
    /// the report; an error if the engine has no code heap.
    pub fn gc_code_heap(
        &self,
        max_age: Option<Duration>,
        max_bytes: Option<u64>,
    ) -> Result<String, Error> {
        let inner = self.inner()?;
        let dir = inner
            .options
            .cache_dir
            .clone()
            .ok_or_else(|| Error::Usage("this engine has no code heap (cache_dir)".into()))?;
        drop(inner);
        Ok(crate::heap::manage::gc(&dir, max_age, max_bytes))
    }

    /// The parameters of `func` (`f` or `module.f`), in order: each one's name and its
    /// declared nk type (`None`: generic, specialized per call). For bindings that name a
    /// parameter in their own messages.
    ///
    /// ```
    /// use nvm::engine::Engine;
    /// let mut e = Engine::new();
    /// e.load_str("m", "fn f(xs: f64[], k) { return k; }").unwrap();
    /// assert_eq!(
    ///     e.params("f").unwrap(),
    ///     vec![("xs".to_string(), Some("f64[]".to_string())), ("k".to_string(), None)]
    /// );
    /// ```
    pub fn params(&self, func: &str) -> Result<Vec<(String, Option<String>)>, Error> {
        let mut inner = self.inner()?;
        let did = inner.resolve(func)?;
        let declared = inner.checker.param_types(did);
        let def = inner.checker.fn_def(did);
        Ok(def
            .params
            .iter()
            .zip(&declared)
            .map(|(p, t)| (p.name.name.clone(), t.as_ref().map(|t| t.to_string())))
            .collect())
    }

    /// The names of every function of the loaded modules.
    pub fn function_names(&self) -> Vec<String> {
        let Ok(inner) = self.inner() else {
            return vec![];
        };
        let loaded = inner.checker.loaded();
        let mut v: Vec<String> = inner
            .modules
            .iter()
            .flat_map(|&(_, m)| loaded.modules[m].ast.items.iter())
            .filter_map(|it| match it {
                crate::syntax::ast::Item::Fn(d) => Some(d.name.name.clone()),
                _ => None,
            })
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// A flag that stops the running call when set (from any thread): nk code checks it at
    /// every loop iteration and call, in both tiers, and the call returns the runtime
    /// error "interrupted". The call it stops clears it; set between calls, it stops the
    /// next one (a request is never lost).
    pub fn interrupt_handle(&self) -> Arc<AtomicBool> {
        match self.inner() {
            Ok(i) => i.interrupt.clone(),
            Err(_) => Arc::new(AtomicBool::new(false)),
        }
    }

    /// Makes the Rust function or closure `f` callable from nk as `name(...)`, in every
    /// module (a module's own function of that name comes first). Its nk signature comes
    /// from its Rust types (see [`host`]); calls are type-checked like a built-in's.
    /// Registering a name again replaces the function; if a function checked earlier no
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
        if !is_ident(name) || name.starts_with("__") {
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
        self.inner()?.register_host(sig, f.into_host())
    }

    /// What nk printed since the last call (with [`EngineBuilder::capture_output`]).
    pub fn take_output(&mut self) -> String {
        let Ok(inner) = self.inner() else {
            return String::new();
        };
        match &inner.output {
            Some(buf) => String::from_utf8_lossy(&std::mem::take(
                &mut *buf.lock().unwrap_or_else(|e| e.into_inner()),
            ))
            .into_owned(),
            None => String::new(),
        }
    }

    /// Counters of this engine: calls, specializations compiled and loaded, the code heap.
    pub fn stats(&self) -> crate::vm::Stats {
        match self.inner() {
            Ok(i) => {
                let mut s = i.vm.stats.clone();
                s.heap = i.vm.heap_stats();
                s
            }
            Err(_) => Default::default(),
        }
    }
}

/// How a REPL entry's statements are used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EntryMode {
    /// Run them; print a final expression's value when `display`.
    Run { display: bool },
    /// Check them only, for the type of the final expression (`:type`).
    TypeOnly,
}

/// What a REPL entry did.
#[derive(Debug, Default)]
pub(crate) struct EntryOutcome {
    /// The variables' new values (when statements ran).
    pub vars: Option<Vec<(String, Value)>>,
    /// The type of the final expression statement, if any.
    pub value_type: Option<Type>,
}

impl Engine {
    /// Evaluates REPL entry `text` (named `name` in messages, like `REPL[3]`; its final
    /// `;` may be missing): its
    /// definitions (`fn`, `const`, `import`) go into module `scope`, replacing those of
    /// the same name (callers are checked again, see [`Engine::load_str`]); its
    /// statements run as one function of the session's variables `vars`, in the scope of
    /// `scope`, and give back the variables' new values (new `let`s included). Errors
    /// point into `text`. No nk text is generated.
    pub(crate) fn eval_entry(
        &mut self,
        name: &str,
        text: &str,
        scope: &str,
        vars: &[(String, Value)],
        mode: EntryMode,
    ) -> Result<EntryOutcome, Error> {
        self.inner()?.eval_entry(name, text, scope, vars, mode)
    }

    /// The specializations of `func` (`f` or `m.f`) made so far, with their result types,
    /// or its signature when there are none: for the REPL's `:type`.
    pub(crate) fn describe_function(&self, func: &str) -> Result<String, Error> {
        let mut inner = self.inner()?;
        let did = inner.resolve(func)?;
        let prog = inner.vm.program();
        let mut lines: Vec<String> = (0..prog.funcs.len() as FuncId)
            .filter(|&id| inner.checker.def_of(id) == Some(did))
            .map(|id| {
                let f = &prog.funcs[id as usize];
                format!("{} -> {}", f.name, f.ret)
            })
            .collect();
        if lines.is_empty() {
            let def = inner.checker.fn_def(did);
            let params: Vec<String> = def.params.iter().map(|p| p.name.name.clone()).collect();
            lines.push(format!(
                "{}({}): not called yet (its types come from the arguments of each call)",
                def.name.name,
                params.join(", ")
            ));
        }
        Ok(lines.join("\n"))
    }
}

/// The nk type of a value (`None` for "nothing").
pub(crate) fn value_type(v: &Value) -> Option<Type> {
    Some(match v {
        Value::S(s) => Type::Prim(s.prim()),
        Value::A(a) => Type::Array(a.elem(), a.shape().len() as u8),
        Value::T(vs) => Type::tuple(vs.iter().map(value_type).collect::<Option<_>>()?),
        Value::Str(_) => Type::Str(None),
        Value::Unit => return None,
    })
}

/// The scalar arguments of a call that widen to their parameter's type (`i64` to `f64`,
/// `i32` to `i64`, `f32` to `f64`, as [`crate::vocab::Prim::widens_to`] allows): position, from, to.
#[derive(Clone, Debug, Default)]
pub(crate) struct Widen(Vec<(usize, crate::vocab::Prim, crate::vocab::Prim)>);

impl Widen {
    /// Converts the widening arguments among `args`.
    pub(crate) fn values(&self, args: &mut [Value]) {
        for &(i, _, to) in &self.0 {
            if let Some(Value::S(s)) = args.get(i) {
                args[i] = Value::S(s.convert(to));
            }
        }
    }

    /// Converts the widening arguments among register-form `bits`.
    pub(crate) fn bits(&self, bits: &mut [u64]) {
        for &(i, from, to) in &self.0 {
            bits[i] = crate::runtime::ops::convert_bits(from, to, bits[i]);
        }
    }
}

/// Does `v` have type `t` (without building `v`'s type)?
fn has_type(v: &Value, t: &Type) -> bool {
    match (v, t) {
        (Value::S(s), Type::Prim(p)) => s.prim() == *p,
        (Value::A(a), Type::Array(p, n)) => a.elem() == *p && a.shape().len() == *n as usize,
        (Value::Str(_), Type::Str(None)) => true,
        (Value::T(vs), Type::Tuple(ts)) => {
            vs.len() == ts.len() && vs.iter().zip(ts.iter()).all(|(v, t)| has_type(v, t))
        }
        _ => false,
    }
}

/// Is every error an import that is not (yet) loaded? Those of `Loaded::add_module` read
/// "cannot find module `x`".
fn missing_imports(diags: &[Diagnostic]) -> Option<Vec<String>> {
    diags
        .iter()
        .map(|d| {
            d.message
                .strip_prefix("cannot find module `")
                .and_then(|r| r.strip_suffix('`'))
                .map(str::to_string)
        })
        .collect()
}

impl Inner {
    fn compile_error(&self, d: Vec<Diagnostic>) -> Error {
        Error::Compile(CompileError::new(&self.checker.loaded().sources, d))
    }

    /// A REPL entry's compile errors (rendered without "nothing was run").
    fn entry_error(&self, d: Vec<Diagnostic>) -> Error {
        Error::Compile(CompileError::of_entry(&self.checker.loaded().sources, d))
    }

    /// Loads (or replaces) module `name`; then any waiting module whose imports are now
    /// all there.
    fn load(&mut self, name: &str, source: ModuleSource) -> Result<(), Error> {
        if !is_ident(name) {
            return Err(Error::Usage(format!(
                "`{name}` cannot name a module (letters, digits and `_`, not starting with a digit)"
            )));
        }
        self.pending.retain(|p| p.name != name);
        self.load_one(name, source, Inner::compile_error)?;
        // Waiting modules may now find what they import.
        loop {
            let mut progress = false;
            for p in std::mem::take(&mut self.pending) {
                let before = self.pending.len();
                // A module that fails now (not for a missing import) stays out; a call
                // into it says it is not loaded.
                if self
                    .load_one(&p.name, p.source, Inner::compile_error)
                    .is_ok()
                {
                    progress |= self.pending.len() == before;
                }
            }
            if !progress {
                return Ok(());
            }
        }
    }

    /// Loads (or replaces) one module; `report` makes its compile errors.
    fn load_one(
        &mut self,
        name: &str,
        source: ModuleSource,
        report: fn(&Inner, Vec<Diagnostic>) -> Error,
    ) -> Result<(), Error> {
        let search = self.options.module_path.clone();
        // Waiting modules are found by their importers as text.
        let texts: HashMap<String, String> = self
            .pending
            .iter()
            .filter_map(|p| match &p.source {
                ModuleSource::Text(t) => Some((p.name.clone(), t.clone())),
                ModuleSource::File(..) | ModuleSource::Parsed(..) => None,
            })
            .collect();
        let old_len = self.checker.loaded().modules.len();
        let added =
            self.checker
                .loaded_mut()
                .add_module(name, clone_source(&source), &search, &texts);
        let (id, new, replaced) = match added {
            Ok(a) => a,
            Err(d) => {
                if let Some(missing) = missing_imports(&d) {
                    self.pending.push(Pending {
                        name: name.to_string(),
                        source,
                        missing,
                    });
                    return Ok(());
                }
                return Err(report(self, d));
            }
        };
        let prog = self.vm.program_mut();
        let grown = match &replaced {
            None => self.checker.add_modules(prog, &new),
            Some(old) => self.checker.replace_module(prog, id, old, &new),
        };
        let grown = match grown {
            Ok(g) => g,
            Err(d) => {
                let e = report(self, d);
                self.checker.loaded_mut().undo_add(id, old_len, replaced);
                return Err(e);
            }
        };
        // Specializations of functions the new version no longer has.
        self.retired.extend(grown.retired.iter().copied());
        // Modules brought in as imports stop waiting.
        let loaded = self.checker.loaded();
        let now: HashSet<String> = new
            .iter()
            .map(|&m| loaded.modules[m].name.clone())
            .collect();
        self.pending.retain(|p| !now.contains(&p.name));
        for &m in &new {
            let n = loaded.modules[m].name.clone();
            if !self.modules.iter().any(|(x, _)| *x == n) && (m == id || texts.contains_key(&n)) {
                self.modules.push((n, m));
            }
        }
        if !self.modules.iter().any(|(x, _)| x == name) {
            self.modules.push((name.to_string(), id));
        }
        self.names.clear();
        self.last_call.clear();
        self.writes.clear();
        self.vm
            .apply_growth(&grown.replaced)
            .map_err(|e| Error::Usage(format!("internal: {e}")))?;
        // Specializations made for calls by name may have changed their result.
        self.entries.clear();
        Ok(())
    }

    fn eval_entry(
        &mut self,
        name: &str,
        text: &str,
        scope: &str,
        vars: &[(String, Value)],
        mode: EntryMode,
    ) -> Result<EntryOutcome, Error> {
        use crate::syntax::ast::{Item, Module};
        let file = self
            .checker
            .loaded_mut()
            .sources
            .add(name.to_string(), text.to_string());
        // A final statement's `;` may be left out: it is added for the parser only (the
        // source map keeps the text as typed, so messages show what the user wrote).
        let trimmed = text.trim_end();
        let parsed = if trimmed.ends_with(';') || trimmed.ends_with('}') || trimmed.is_empty() {
            std::borrow::Cow::Borrowed(text)
        } else {
            std::borrow::Cow::Owned(format!("{trimmed};"))
        };
        let (ast, diags) = crate::syntax::parse(file, &parsed);
        if !diags.is_empty() {
            return Err(self.entry_error(diags));
        }
        let (stmts, defs): (Vec<Item>, Vec<Item>) = ast
            .items
            .into_iter()
            .partition(|it| matches!(it, Item::Stmt(_)));
        let scope_id = self.checker.loaded().module_named(scope);
        if !defs.is_empty() || scope_id.is_none() {
            if mode == EntryMode::TypeOnly && !defs.is_empty() {
                return Err(Error::Usage(
                    "`:type` takes an expression, not definitions".into(),
                ));
            }
            // The scope's items, those this entry defines again replaced.
            let key = |it: &Item| match it {
                Item::Fn(d) => Some(("fn", d.name.name.clone())),
                Item::Const(d) => Some(("const", d.name.name.clone())),
                Item::Import { path, .. } => Some((
                    "import",
                    path.iter()
                        .map(|i| i.name.as_str())
                        .collect::<Vec<_>>()
                        .join("."),
                )),
                Item::Stmt(_) => None,
            };
            let new_keys: Vec<_> = defs.iter().filter_map(key).collect();
            let mut items: Vec<Item> = match scope_id {
                Some(m) => self.checker.loaded().modules[m].ast.items.clone(),
                None => Vec::new(),
            };
            items.retain(|it| key(it).is_none_or(|k| !new_keys.contains(&k)));
            items.extend(defs);
            self.load_one(
                scope,
                ModuleSource::Parsed(file, Module { items }),
                Inner::entry_error,
            )?;
        }
        let Some(scope_id) = self.checker.loaded().module_named(scope) else {
            return Err(Error::Usage(format!("internal: module `{scope}` missing")));
        };
        if stmts.is_empty() {
            return Ok(EntryOutcome::default());
        }
        let source =
            self.checker
                .loaded_mut()
                .add_entry_module(name, file, Module { items: stmts });
        let mut typed = Vec::new();
        let mut values = Vec::new();
        for (n, v) in vars {
            if let Some(t) = value_type(v) {
                typed.push((n.clone(), t));
                values.push(v.clone());
            }
        }
        let display = matches!(mode, EntryMode::Run { display: true });
        let prog = self.vm.program_mut();
        let (id, entry) = self
            .checker
            .specialize_entry(prog, scope_id, source, typed, display)
            .map_err(|d| self.entry_error(d))?;
        self.vm
            .apply_growth(&[])
            .map_err(|e| Error::Usage(format!("internal: {e}")))?;
        if mode == EntryMode::TypeOnly {
            return Ok(EntryOutcome {
                vars: None,
                value_type: entry.value_type,
            });
        }
        let v = self.call_id(id, None, name, &mut values)?;
        let got = match (entry.out.len(), v) {
            (0, _) => Vec::new(),
            (_, Value::T(vs)) => vs,
            (_, other) => vec![other],
        };
        Ok(EntryOutcome {
            vars: Some(entry.out.into_iter().zip(got).collect()),
            value_type: entry.value_type,
        })
    }

    /// The definition `func` (`f` or `m.f`) names.
    fn resolve(&mut self, func: &str) -> Result<DefId, Error> {
        if let Some(&d) = self.names.get(func) {
            return Ok(d);
        }
        let waiting = || -> String {
            let w: Vec<String> = self
                .pending
                .iter()
                .map(|p| format!("`{}` waits for {}", p.name, p.missing.join(", ")))
                .collect();
            if w.is_empty() {
                String::new()
            } else {
                format!(" (not loaded yet: {})", w.join("; "))
            }
        };
        let d = match func.split_once('.') {
            Some((m, f)) => {
                let Some(&(_, id)) = self.modules.iter().find(|(n, _)| n == m) else {
                    return Err(Error::Usage(format!(
                        "no module `{m}` is loaded{}",
                        waiting()
                    )));
                };
                self.checker
                    .def_id(id, f)
                    .ok_or_else(|| Error::Usage(format!("module `{m}` has no function `{f}`")))?
            }
            None => {
                let found: Vec<(String, DefId)> = self
                    .modules
                    .iter()
                    .filter_map(|(n, m)| Some((n.clone(), self.checker.def_id(*m, func)?)))
                    .collect();
                match found.as_slice() {
                    [(_, d)] => *d,
                    [] if self.modules.is_empty() && self.pending.is_empty() => {
                        return Err(Error::Usage("no module is loaded".into()))
                    }
                    [] => {
                        return Err(Error::Usage(format!(
                            "no loaded module defines `{func}`{}",
                            waiting()
                        )))
                    }
                    _ => {
                        let names: Vec<String> =
                            found.iter().map(|(m, _)| format!("{m}.{func}")).collect();
                        return Err(Error::Usage(format!(
                            "`{func}` is defined in several modules ({}); say which",
                            names.join(", ")
                        )));
                    }
                }
            }
        };
        self.names.insert(func.to_string(), d);
        Ok(d)
    }

    /// The specialization of `did` for arguments of types `given` (made if new), and the
    /// arguments that widen to their parameter's type.
    fn specialize(&mut self, did: DefId, given: Vec<Type>) -> Result<(FuncId, Widen), Error> {
        let key = (did, given);
        if let Some(e) = self.entries.get(&key) {
            return Ok(e.clone());
        }
        let given = key.1.clone();
        let declared = self.checker.param_types(did);
        let def = self.checker.fn_def(did);
        let fname = {
            let m = &self.checker.loaded().modules[did.module];
            format!("{}.{}", m.name, def.name.name)
        };
        let shown = |ts: &mut dyn Iterator<Item = String>| ts.collect::<Vec<_>>().join(", ");
        let expected = || {
            shown(&mut def.params.iter().zip(&declared).map(|(p, t)| match t {
                Some(t) => format!("{}: {t}", p.name.name),
                None => p.name.name.clone(),
            }))
        };
        let mismatch = || {
            Error::Usage(format!(
                "`{fname}` takes ({}), given ({})",
                expected(),
                shown(&mut given.iter().map(|t| t.to_string()))
            ))
        };
        if declared.len() != given.len() {
            return Err(mismatch());
        }
        let mut types = Vec::with_capacity(given.len());
        let mut widen = Widen::default();
        for (i, (g, d)) in given.iter().zip(&declared).enumerate() {
            match (d, g) {
                (None, _) => types.push(g.clone()),
                (Some(d), _) if d == g => types.push(g.clone()),
                (Some(Type::Prim(to)), Type::Prim(from)) if from.widens_to(*to) => {
                    widen.0.push((i, *from, *to));
                    types.push(Type::Prim(*to));
                }
                _ => return Err(mismatch()),
            }
        }
        let prog = self.vm.program_mut();
        let id = self
            .checker
            .specialize(prog, did, types)
            .map_err(|d| self.compile_error(d))?;
        self.vm
            .apply_growth(&[])
            .map_err(|e| Error::Usage(format!("internal: {e}")))?;
        self.entries.insert(key, (id, widen.clone()));
        Ok((id, widen))
    }

    fn register_host(&mut self, sig: HostSig, f: HostFn) -> Result<(), Error> {
        match self.hosts.iter().position(|(s, _)| s.name == sig.name) {
            Some(i) if self.hosts[i].0 == sig => self.hosts[i].1 = f,
            Some(i) => {
                // A new signature: whatever calls it is checked again.
                let old = std::mem::replace(&mut self.checker.loaded_mut().hosts[i], sig.clone());
                let callers = host_callers(self.vm.program(), i as u32);
                let prog = self.vm.program_mut();
                match self.checker.recheck(prog, callers) {
                    Ok(g) => {
                        self.vm
                            .apply_growth(&g.replaced)
                            .map_err(|e| Error::Usage(format!("internal: {e}")))?;
                        self.hosts[i] = (sig, f);
                        self.entries.clear();
                        self.last_call.clear();
                        self.writes.clear();
                    }
                    Err(d) => {
                        self.checker.loaded_mut().hosts[i] = old;
                        return Err(self.compile_error(d));
                    }
                }
            }
            None => {
                self.checker.loaded_mut().hosts.push(sig.clone());
                self.hosts.push((sig, f));
            }
        }
        self.vm
            .set_hosts(self.hosts.iter().map(|(_, f)| f.clone()).collect());
        Ok(())
    }

    /// Whether specialization `id` may write an array (remembered until the program
    /// changes).
    fn writes_arrays(&mut self, id: FuncId) -> bool {
        if let Some(&w) = self.writes.get(&id) {
            return w;
        }
        let w = crate::ir::effects::writes_arrays(self.vm.program(), id);
        self.writes.insert(id, w);
        w
    }

    /// Checks that a call of `id` can be made: the function still exists and (for a
    /// typed handle) still returns `want`.
    fn callable(&self, id: FuncId, want: Option<&Type>, name: &str) -> Result<(), Error> {
        if !self.retired.is_empty() && self.retired.contains(&id) {
            return Err(Error::Usage(format!(
                "`{name}` is no longer defined (its module was loaded again without it)"
            )));
        }
        if let Some(want) = want {
            let ret = &self.vm.program().funcs[id as usize].ret;
            if ret != want {
                return Err(Error::Usage(format!(
                    "`{name}` was redefined and now returns {ret}, not {want}: make a new handle"
                )));
            }
        }
        Ok(())
    }

    /// Runs `run` on the VM as one call: time limit armed, memory budget active, panics
    /// caught, output flushed; runtime errors become [`Error::Runtime`] with the chain.
    fn guarded<T>(
        &mut self,
        name: &str,
        run: impl FnOnce(&mut Vm<'static>) -> Result<T, crate::runtime::RuntimeError>,
    ) -> Result<T, Error> {
        if let Some(w) = &self.watchdog {
            w.arm();
        }
        let vm = &mut self.vm;
        let result =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match &self.budget {
                Some(b) => b.run(|| run(vm)),
                None => run(vm),
            }));
        let over_budget = self.budget.as_ref().is_some_and(|b| b.take_exceeded());
        if over_budget {
            // The stop was for this call (it may have ended before seeing it).
            self.interrupt.store(false, Ordering::Relaxed);
        }
        let timed_out = self.watchdog.as_ref().is_some_and(|w| w.disarm());
        if result.is_err() {
            self.vm.clear_registers();
        }
        self.vm.flush();
        let memory_error = |limit: u64| {
            format!("memory limit exceeded: this engine's arrays may hold {limit} bytes at once")
        };
        match result {
            // Past the memory cap after the last loop: the call held more than allowed.
            Ok(Ok(_)) if over_budget => {
                let m = memory_error(self.budget.as_ref().map_or(0, |b| b.limit()));
                Err(Error::Runtime {
                    rendered: format!("error: {m}"),
                    message: m,
                    chain: Vec::new(),
                })
            }
            Ok(Ok(v)) => Ok(v),
            Ok(Err(mut e)) => {
                if timed_out && e.message == crate::vm::INTERRUPTED {
                    let limit = self.watchdog.as_ref().map(|w| w.limit).unwrap_or_default();
                    e.message = format!("time limit exceeded: the call ran longer than {limit:?}");
                }
                if over_budget && e.message == crate::vm::INTERRUPTED {
                    e.message = memory_error(self.budget.as_ref().map_or(0, |b| b.limit()));
                }
                let sources = &self.checker.loaded().sources;
                let chain = e
                    .chain
                    .iter()
                    .map(|(n, sp)| {
                        let (line, column) = sources.line_col(*sp);
                        Frame {
                            function: n.clone(),
                            file: sources.get(sp.file).name.clone(),
                            line,
                            column,
                        }
                    })
                    .collect();
                Err(Error::Runtime {
                    message: e.message.clone(),
                    chain,
                    rendered: render_runtime_error(sources, &e, false),
                })
            }
            Err(_) => Err(Error::Usage(format!(
                "internal error while calling `{name}` (a bug in nvm)"
            ))),
        }
    }

    /// Runs specialization `id` (`name` for messages) with `values` (cleared after);
    /// `want`: the result type a typed handle was made for.
    pub(crate) fn call_id(
        &mut self,
        id: FuncId,
        want: Option<&Type>,
        name: &str,
        values: &mut Vec<Value>,
    ) -> Result<Value, Error> {
        self.callable(id, want, name)?;
        // Arrays lent read-only are copied for a function that may write an array.
        if convert::has_readonly_loans(values) && self.writes_arrays(id) {
            convert::copy_readonly_loans(values);
        }
        // Arrays lent by the caller (`&mut`): every reference to them must be gone when
        // this call returns.
        let mut lent = Vec::new();
        if values.iter().any(|v| !matches!(v, Value::S(_))) {
            values.iter().for_each(|v| lent_storages(v, &mut lent));
        }
        // A result that is (or holds) a view of lent memory is copied out of it.
        let result = self.guarded(name, |vm| vm.call(id, values)).map(detach);
        values.clear();
        if lent.iter().any(|w| w.strong_count() > 0) {
            // Cannot happen (nk has no global state that could keep an array); if it did,
            // the memory must never be reached again: the engine stops working.
            self.retired
                .extend(0..self.vm.program().funcs.len() as FuncId);
            return Err(Error::Usage(format!(
                "internal error: a lent array outlived the call of `{name}` (a bug in nvm)"
            )));
        }
        result
    }

    /// [`Inner::call_id`] for scalars only (a typed handle's fast path): arguments and
    /// result as their 64-bit patterns, no `Value` made.
    pub(crate) fn call_scalars(
        &mut self,
        id: FuncId,
        want: &Type,
        name: &str,
        args: &[u64],
    ) -> Result<u64, Error> {
        self.callable(id, Some(want), name)?;
        self.guarded(name, |vm| vm.call_scalars(id, args))
    }
}

fn clone_source(s: &ModuleSource) -> ModuleSource {
    match s {
        ModuleSource::Text(t) => ModuleSource::Text(t.clone()),
        ModuleSource::File(p, t) => ModuleSource::File(p.clone(), t.clone()),
        ModuleSource::Parsed(f, m) => ModuleSource::Parsed(*f, m.clone()),
    }
}

/// The specializations calling host function `index`.
fn host_callers(prog: &crate::ir::Program, index: u32) -> Vec<FuncId> {
    let mut out = Vec::new();
    for (id, f) in prog.funcs.iter().enumerate() {
        let mut calls = false;
        f.visit_exprs(&mut |e| {
            if let crate::ir::ExprKind::Builtin(crate::ir::Builtin::Host(h), _) = e.kind {
                calls |= h == index;
            }
        });
        if calls {
            out.push(id as FuncId);
        }
    }
    out
}

/// The lent storages `v` refers to.
fn lent_storages(v: &Value, out: &mut Vec<std::rc::Weak<crate::runtime::Storage>>) {
    match v {
        Value::A(a) => out.extend(a.lent_storage()),
        Value::T(vs) => vs.iter().for_each(|v| lent_storages(v, out)),
        Value::S(_) | Value::Str(_) | Value::Unit => {}
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
