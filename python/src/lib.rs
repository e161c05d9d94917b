//! `nvm._nvm`: the Python binding of nvm, a thin layer over [`nvm::engine`].
//!
//! | file         | job                                                                  |
//! |--------------|----------------------------------------------------------------------|
//! | `lib.rs`     | the classes (`Engine`, `Module`, `Function`), errors, `build`, cache |
//! | `args.rs`    | Python/NumPy values ⇄ nk values (lent, moved, never copied needlessly)|
//! | `signals.rs` | Ctrl-C stops a running nk call on the main thread                    |
//!
//! Invariant: the GIL is released for the whole nk call (conversion of the arguments is
//! done before, under the GIL; the result is taken out of nk's reference-counted values
//! before the GIL is taken back). Nothing here reads the environment except `build` and
//! the engine's default code heap folder, which follow the `nvm` command
//! (`$NVM_CACHE_DIR`, else the user cache folder).

mod args;
mod signals;

use args::Arg;
use nvm::engine::{DynArg, IntoNk};
use nvm::{Engine as NkEngine, Error as NkErr, Tier, Value};
use pyo3::create_exception;
use pyo3::exceptions::{PyAttributeError, PyException, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

create_exception!(
    nvm,
    CompileError,
    PyException,
    "Syntax or type errors in nk source. `diagnostics` lists each one (a `Diagnostic` with \
     file, line, column, message); `str(e)` is the whole rendering, with source lines and carets."
);
create_exception!(
    nvm,
    NkError,
    PyException,
    "An nk runtime error. `message` says what went wrong, `chain` lists the nk call chain \
     (outermost first) as `Frame`s, `rendered` is the whole diagnostic as `nvm` prints it."
);

/// What `__reduce__` returns: the class and its constructor's arguments.
type Reduced<A> = PyResult<(Py<PyAny>, A)>;

/// One compile error: where and what.
#[pyclass(frozen, get_all, module = "nvm")]
#[derive(Clone)]
struct Diagnostic {
    /// The file (a path, or the name given to `compile`).
    file: String,
    /// 1-based.
    line: usize,
    /// 1-based, in characters.
    column: usize,
    /// What is wrong.
    message: String,
}

#[pymethods]
impl Diagnostic {
    #[new]
    fn new(file: String, line: usize, column: usize, message: String) -> Self {
        Diagnostic {
            file,
            line,
            column,
            message,
        }
    }
    /// Picklable (an exception raised on a Dask worker travels to the client pickled).
    fn __reduce__(slf: &Bound<'_, Self>) -> Reduced<(String, usize, usize, String)> {
        let d = slf.get();
        Ok((
            slf.get_type().into_any().unbind(),
            (d.file.clone(), d.line, d.column, d.message.clone()),
        ))
    }
    fn __eq__(&self, other: &Self) -> bool {
        (&self.file, self.line, self.column, &self.message)
            == (&other.file, other.line, other.column, &other.message)
    }
    fn __repr__(&self) -> String {
        format!(
            "Diagnostic({:?}, line={}, column={}, message={:?})",
            self.file, self.line, self.column, self.message
        )
    }
    fn __str__(&self) -> String {
        format!(
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

/// One frame of an nk call chain.
#[pyclass(frozen, get_all, module = "nvm")]
#[derive(Clone)]
struct Frame {
    /// The specialization (`kernels.outer(f64[])`).
    function: String,
    /// The file.
    file: String,
    /// 1-based.
    line: usize,
    /// 1-based.
    column: usize,
}

#[pymethods]
impl Frame {
    #[new]
    fn new(function: String, file: String, line: usize, column: usize) -> Self {
        Frame {
            function,
            file,
            line,
            column,
        }
    }
    /// Picklable (an exception raised on a Dask worker travels to the client pickled).
    fn __reduce__(slf: &Bound<'_, Self>) -> Reduced<(String, String, usize, usize)> {
        let f = slf.get();
        Ok((
            slf.get_type().into_any().unbind(),
            (f.function.clone(), f.file.clone(), f.line, f.column),
        ))
    }
    fn __eq__(&self, other: &Self) -> bool {
        (&self.function, &self.file, self.line, self.column)
            == (&other.function, &other.file, other.line, other.column)
    }
    fn __repr__(&self) -> String {
        format!(
            "Frame({:?}, {:?}, line={}, column={})",
            self.function, self.file, self.line, self.column
        )
    }
    fn __str__(&self) -> String {
        format!(
            "{} at {}:{}:{}",
            self.function, self.file, self.line, self.column
        )
    }
}

/// An engine error as a Python exception.
fn to_py_err(py: Python<'_>, e: NkErr) -> PyErr {
    match e {
        NkErr::Compile(c) => {
            let err = CompileError::new_err(c.trim_end().to_string());
            let diags: Vec<Diagnostic> = c
                .diagnostics()
                .into_iter()
                .map(|d| Diagnostic {
                    file: d.file,
                    line: d.line,
                    column: d.column,
                    message: d.message,
                })
                .collect();
            let _ = err.value(py).setattr("diagnostics", diags);
            err
        }
        NkErr::Runtime {
            message,
            chain,
            rendered,
        } => {
            let err = NkError::new_err(rendered.trim_end().to_string());
            let frames: Vec<Frame> = chain
                .into_iter()
                .map(|f| Frame {
                    function: f.function,
                    file: f.file,
                    line: f.line,
                    column: f.column,
                })
                .collect();
            let v = err.value(py);
            let _ = v.setattr("message", message);
            let _ = v.setattr("chain", frames);
            let _ = v.setattr("rendered", rendered);
            err
        }
        NkErr::Usage(m) => usage_error(m),
    }
}

fn usage_error(m: String) -> PyErr {
    if m.starts_with("no loaded module defines")
        || m.contains("has no function")
        || m.starts_with("no module")
    {
        PyAttributeError::new_err(m)
    } else {
        PyTypeError::new_err(m)
    }
}

/// The code heap folder the `nvm` command uses by default.
fn default_cache_dir() -> Option<PathBuf> {
    match std::env::var_os("NVM_CACHE_DIR").filter(|v| !v.is_empty()) {
        Some(d) => Some(PathBuf::from(d)),
        None => std::env::var_os("XDG_CACHE_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
            .map(|d| d.join("nvm")),
    }
}

/// `cache_dir`: a path, `None` (the default folder) or `False` (no code heap).
fn cache_dir_arg(x: Option<&Bound<'_, PyAny>>) -> PyResult<Option<PathBuf>> {
    match x {
        None => Ok(default_cache_dir()),
        Some(v) if v.is_none() => Ok(default_cache_dir()),
        Some(v) if v.is_instance_of::<pyo3::types::PyBool>() => {
            if v.is_truthy()? {
                Ok(default_cache_dir())
            } else {
                Ok(None)
            }
        }
        Some(v) => Ok(Some(v.extract::<PathBuf>().map_err(|_| {
            PyTypeError::new_err("cache_dir: expected a path (str or os.PathLike), None or False")
        })?)),
    }
}

/// The Python thread id of the main thread (`threading.main_thread().ident`).
static MAIN_THREAD: AtomicU64 = AtomicU64::new(0);

fn on_main_thread() -> bool {
    // SAFETY: `pthread_self` has no preconditions.
    let me = unsafe { libc::pthread_self() } as u64;
    me == MAIN_THREAD.load(Ordering::Relaxed)
}

/// An nk engine: a set of loaded nk modules, their compiled code, and the settings it runs
/// with. Engines are independent (each Python thread may run its own at the same time);
/// engines in one or many processes may share one code heap folder (`cache_dir`).
///
/// Engine(tier="auto", cache_dir=None, time_limit=None, memory_limit=None, jit_calls=None,
///        module_path=(), threads=None)
///
/// - tier: "auto" (interpreter first, Cranelift for loops and hot functions), "jit"
///   (compile every function before its first call) or "interp".
/// - cache_dir: the code heap folder; None: $NVM_CACHE_DIR, else ~/.cache/nvm (as the
///   `nvm` command); False: no code heap.
/// - time_limit: seconds; a call running longer stops with NkError.
/// - memory_limit: bytes that arrays made by one call may hold at once.
/// - jit_calls: in "auto", interpreted calls after which a loop-free function is compiled.
/// - module_path: folders searched for imported modules after the importing file's own.
/// - threads: worker threads of `prange` loops (None: one per core; 1: serial). Engines
///   called from several Python threads at once (Dask) may each want fewer.
#[pyclass(frozen, module = "nvm")]
struct Engine {
    engine: Mutex<NkEngine>,
    interrupt: Arc<AtomicBool>,
    cache_dir: Option<PathBuf>,
    tier: &'static str,
    /// Names given to `compile`d modules so far (for fresh names).
    anon: AtomicU64,
}

impl Engine {
    fn lock(&self) -> std::sync::MutexGuard<'_, NkEngine> {
        // A panic while locked is caught by the engine; its state stays consistent.
        self.engine.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[pymethods]
impl Engine {
    #[new]
    #[pyo3(signature = (tier="auto", cache_dir=None, time_limit=None, memory_limit=None, jit_calls=None, module_path=Vec::new(), threads=None))]
    fn new(
        tier: &str,
        cache_dir: Option<&Bound<'_, PyAny>>,
        time_limit: Option<f64>,
        memory_limit: Option<u64>,
        jit_calls: Option<u32>,
        module_path: Vec<PathBuf>,
        threads: Option<i64>,
    ) -> PyResult<Engine> {
        let (t, tier) = match tier {
            "auto" => (Tier::Auto, "auto"),
            "jit" => (Tier::Jit, "jit"),
            "interp" => (Tier::Interp, "interp"),
            other => {
                return Err(PyValueError::new_err(format!(
                    "tier: expected \"auto\", \"jit\" or \"interp\", got {other:?}"
                )))
            }
        };
        let cache_dir = cache_dir_arg(cache_dir)?;
        let mut b = NkEngine::builder().tier(t);
        if let Some(d) = &cache_dir {
            b = b.cache_dir(d.clone());
        }
        if let Some(s) = time_limit {
            if !(s.is_finite() && s > 0.0) {
                return Err(PyValueError::new_err(format!(
                    "time_limit: expected a positive number of seconds, got {s}"
                )));
            }
            b = b.time_limit(Duration::from_secs_f64(s.min(1e9)));
        }
        if let Some(m) = memory_limit {
            b = b.memory_limit(m);
        }
        if let Some(n) = jit_calls {
            b = b.jit_calls(n);
        }
        if let Some(n) = threads {
            if n < 1 {
                return Err(PyValueError::new_err(format!(
                    "threads: expected a positive number of threads, got {n}"
                )));
            }
            b = b.threads(n as usize);
        }
        for d in module_path {
            b = b.module_path(d);
        }
        let engine = b.build();
        let interrupt = engine.interrupt_handle();
        Ok(Engine {
            engine: Mutex::new(engine),
            interrupt,
            cache_dir,
            tier,
            anon: AtomicU64::new(0),
        })
    }

    /// Loads the nk module in file `path` (named after the file: `kernels.nk` → `kernels`;
    /// its imports are found beside it first) and returns it; its functions are its
    /// attributes. Raises CompileError (with every error) or OSError.
    fn load(slf: &Bound<'_, Self>, path: PathBuf) -> PyResult<Module> {
        let py = slf.py();
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !path.is_file() {
            return Err(pyo3::exceptions::PyFileNotFoundError::new_err(format!(
                "no nk file at {}",
                path.display()
            )));
        }
        let this = slf.get();
        py.detach(|| this.lock().load_file(&path))
            .map_err(|e| to_py_err(py, e))?;
        Ok(Module::new(slf.clone().unbind(), name))
    }

    /// Compiles nk source text as a module named `name` (default: a fresh name) and
    /// returns it. Raises CompileError.
    #[pyo3(signature = (source, name=None))]
    fn compile(slf: &Bound<'_, Self>, source: &str, name: Option<String>) -> PyResult<Module> {
        let py = slf.py();
        let this = slf.get();
        let name = name.unwrap_or_else(|| {
            let n = this.anon.fetch_add(1, Ordering::Relaxed);
            if n == 0 {
                "main".to_string()
            } else {
                format!("main{n}")
            }
        });
        py.detach(|| this.lock().load_str(&name, source))
            .map_err(|e| to_py_err(py, e))?;
        Ok(Module::new(slf.clone().unbind(), name))
    }

    /// Calls nk function `name` (`f` or `module.f`) with `args`.
    #[pyo3(signature = (name, *args))]
    fn call(slf: &Bound<'_, Self>, name: &str, args: &Bound<'_, PyTuple>) -> PyResult<Py<PyAny>> {
        call_function(slf.get(), slf.py(), name, args)
    }

    /// Stops the call running on this engine (from another thread); if none runs, the
    /// next call stops at once.
    fn interrupt(&self) {
        self.interrupt.store(true, Ordering::Release);
    }

    /// The engine's counters: calls, specializations lowered (`compiled`), compiled by
    /// Cranelift (`native`), loaded from the code heap (`loaded`), machine code bytes, and
    /// the code heap's hits/misses/writes.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        // Without the GIL while waiting for the engine (a call on another thread holds it).
        let s = py.detach(|| self.lock().stats());
        let d = PyDict::new(py);
        d.set_item("calls", s.calls)?;
        d.set_item("compiled", s.compiled)?;
        d.set_item("native", s.native)?;
        d.set_item("loaded", s.loaded)?;
        d.set_item("native_bytes", s.native_bytes)?;
        d.set_item("native_seconds", s.native_ns as f64 / 1e9)?;
        let heap = match s.heap {
            Some(h) => {
                let hd = PyDict::new(py);
                hd.set_item("hits", h.hits)?;
                hd.set_item("misses", h.misses)?;
                hd.set_item("writes", h.writes)?;
                hd.set_item("bytes_loaded", h.bytes_loaded)?;
                hd.into_any()
            }
            None => py.None().into_bound(py),
        };
        d.set_item("heap", heap)?;
        Ok(d)
    }

    /// Names of the functions of every loaded module.
    fn function_names(&self, py: Python<'_>) -> Vec<String> {
        py.detach(|| self.lock().function_names())
    }

    /// Which tier each specialization of `name` is in (`""`: all): (specialization, tier).
    #[pyo3(signature = (name=""))]
    fn tiers(&self, py: Python<'_>, name: &str) -> Vec<(String, &'static str)> {
        py.detach(|| self.lock().tiers(name))
    }

    /// The inspector's text for `name`'s specializations made so far: typed IR and
    /// bytecode (as `nvm inspect`; Numba users know this as `inspect_types`).
    fn inspect(&self, py: Python<'_>, name: &str) -> PyResult<String> {
        py.detach(|| self.lock().inspect(name))
            .map_err(|e| to_py_err(py, e))
    }

    /// The code heap folder (None: no code heap).
    #[getter]
    fn cache_dir(&self) -> Option<PathBuf> {
        self.cache_dir.clone()
    }

    /// The tier setting.
    #[getter]
    fn tier(&self) -> &'static str {
        self.tier
    }

    fn __repr__(&self) -> String {
        format!(
            "nvm.Engine(tier={:?}, cache_dir={})",
            self.tier,
            match &self.cache_dir {
                Some(d) => format!("{:?}", d.display().to_string()),
                None => "False".into(),
            }
        )
    }
}

/// A loaded nk module: its functions are attributes (`m.kernel(x)`).
#[pyclass(frozen, module = "nvm")]
struct Module {
    engine: Py<Engine>,
    name: String,
    /// Functions looked up so far (a call resolves its name again, so a module loaded
    /// anew is seen).
    functions: Mutex<std::collections::HashMap<String, Py<Function>>>,
}

impl Module {
    fn new(engine: Py<Engine>, name: String) -> Module {
        Module {
            engine,
            name,
            functions: Mutex::new(Default::default()),
        }
    }
}

#[pymethods]
impl Module {
    fn __getattr__(&self, py: Python<'_>, attr: &str) -> PyResult<Py<Function>> {
        if attr.starts_with("__") {
            return Err(PyAttributeError::new_err(attr.to_string()));
        }
        if let Some(f) = self
            .functions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(attr)
        {
            return Ok(f.clone_ref(py));
        }
        let qualified = format!("{}.{attr}", self.name);
        let engine = self.engine.get();
        // Resolves the name now: a function the module lacks is an AttributeError here.
        py.detach(|| engine.lock().params(&qualified))
            .map_err(|e| match e {
                NkErr::Usage(m) => PyAttributeError::new_err(format!(
                    "nk module `{}` has no function `{attr}` ({m})",
                    self.name
                )),
                other => to_py_err(py, other),
            })?;
        let f = Py::new(
            py,
            Function {
                engine: self.engine.clone_ref(py),
                name: qualified,
            },
        )?;
        self.functions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(attr.to_string(), f.clone_ref(py));
        Ok(f)
    }

    fn __dir__(&self, py: Python<'_>) -> Vec<String> {
        let engine = self.engine.get();
        py.detach(|| engine.lock().function_names())
    }

    /// The engine this module is loaded in.
    #[getter]
    fn engine(&self, py: Python<'_>) -> Py<Engine> {
        self.engine.clone_ref(py)
    }

    /// The module's name.
    #[getter]
    fn name(&self) -> String {
        self.name.clone()
    }

    fn __repr__(&self) -> String {
        format!("<nk module {}>", self.name)
    }
}

/// An nk function: call it with Python scalars, NumPy arrays and tuples of these.
#[pyclass(frozen, module = "nvm")]
struct Function {
    engine: Py<Engine>,
    name: String,
}

#[pymethods]
impl Function {
    #[pyo3(signature = (*args))]
    fn __call__(&self, py: Python<'_>, args: &Bound<'_, PyTuple>) -> PyResult<Py<PyAny>> {
        call_function(self.engine.get(), py, &self.name, args)
    }

    /// The parameters: (name, declared nk type or None for generic).
    fn params(&self, py: Python<'_>) -> PyResult<Vec<(String, Option<String>)>> {
        let engine = self.engine.get();
        py.detach(|| engine.lock().params(&self.name))
            .map_err(|e| to_py_err(py, e))
    }

    /// The qualified name (`module.f`).
    #[getter]
    fn __name__(&self) -> String {
        self.name.clone()
    }

    fn __repr__(&self) -> String {
        format!("<nk function {}>", self.name)
    }
}

/// The parameter names of `name` (empty when they cannot be had): for messages only.
fn param_names(py: Python<'_>, engine: &Engine, name: &str) -> Vec<(String, Option<String>)> {
    py.detach(|| engine.lock().params(name)).unwrap_or_default()
}

/// One call: arguments converted under the GIL, nk run without it, the result converted
/// under it again.
fn call_function(
    engine: &Engine,
    py: Python<'_>,
    name: &str,
    args: &Bound<'_, PyTuple>,
) -> PyResult<Py<PyAny>> {
    let mut converted: Vec<Arg<'_>> = Vec::with_capacity(args.len());
    let mut write_backs = args::WriteBacks::new();
    for (i, x) in args.iter().enumerate() {
        let what = args::describe(i, None, name);
        match args::convert(&x, &what, 0, &mut write_backs) {
            Ok(a) => converted.push(a),
            Err(e) => {
                // The same message, with the parameter's name in it.
                let params = param_names(py, engine, name);
                let Some((p, _)) = params.get(i) else {
                    return Err(e);
                };
                let named = args::describe(i, Some(p), name);
                let msg = e.value(py).str()?.to_string().replacen(&what, &named, 1);
                return Err(PyTypeError::new_err(msg));
            }
        }
    }
    let guard = if on_main_thread() {
        signals::CallGuard::arm(&engine.interrupt)
    } else {
        None
    };
    let result = {
        let dyn_args: Vec<DynArg<'_>> = converted.iter_mut().map(Arg::as_dyn).collect();
        py.detach(|| {
            engine
                .lock()
                .call::<Value>(name, dyn_args)
                .map(args::out_of_nk)
        })
    };
    let sigint = guard.map(signals::CallGuard::finish).unwrap_or(false);
    let outcome = match result {
        Ok(Ok(out)) => Ok(out),
        Ok(Err(m)) => Err(PyTypeError::new_err(format!("the result of `{name}`: {m}"))),
        Err(NkErr::Usage(m)) if m.contains(" takes (") => {
            let types: Vec<String> = converted
                .iter_mut()
                .map(|a| a.as_dyn().nk_type().unwrap_or_default())
                .collect();
            Err(PyTypeError::new_err(mismatch_message(
                py, engine, name, &types, &m,
            )))
        }
        Err(e) => Err(to_py_err(py, e)),
    };
    drop(converted);
    args::write_back(py, write_backs)?;
    if sigint {
        // Python's handler noted the signal too: its Python-level handler raises
        // KeyboardInterrupt now (or does what the program set; then the call's own outcome
        // stands).
        py.check_signals()?;
    }
    args::to_python(py, outcome?)
}

/// A type mismatch, naming the first parameter whose declared type the argument lacks.
fn mismatch_message(
    py: Python<'_>,
    engine: &Engine,
    name: &str,
    given: &[String],
    engine_msg: &str,
) -> String {
    let params = param_names(py, engine, name);
    if params.len() != given.len() {
        return format!(
            "`{name}` takes {} argument{} ({}), {} given",
            params.len(),
            if params.len() == 1 { "" } else { "s" },
            params
                .iter()
                .map(|p| p.0.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            given.len()
        );
    }
    for (i, ((p, want), got)) in params.iter().zip(given).enumerate() {
        if let Some(want) = want {
            if want != got && !(want == "f64" && got == "i64") {
                return format!(
                    "{}: expected {want}, got {got} ({engine_msg})",
                    args::describe(i, Some(p), name)
                );
            }
        }
    }
    engine_msg.to_string()
}

/// `nvm build`: checks the nk file at `path` with everything it imports and compiles
/// every specialization it reaches (its top level and `main`) into the code heap folder
/// `cache_dir` (None: as the `nvm` command, $NVM_CACHE_DIR, else ~/.cache/nvm), or finds
/// it there; engines that later load the file (`nvm.load`) find that code too. Returns
/// a dict: `compiled` (specializations lowered), `native`
/// (compiled by Cranelift now), `loaded` (already in the heap), `warnings`, `cache_dir`.
#[pyfunction]
#[pyo3(signature = (path, cache_dir=None, module_path=Vec::new()))]
fn build<'py>(
    py: Python<'py>,
    path: PathBuf,
    cache_dir: Option<&Bound<'py, PyAny>>,
    module_path: Vec<PathBuf>,
) -> PyResult<Bound<'py, PyDict>> {
    let root = cache_dir_arg(cache_dir)?.ok_or_else(|| {
        PyValueError::new_err(
            "nvm.build needs a code heap folder: pass cache_dir or set NVM_CACHE_DIR",
        )
    })?;
    if !path.is_file() {
        return Err(pyo3::exceptions::PyFileNotFoundError::new_err(format!(
            "no nk file at {}",
            path.display()
        )));
    }
    let outcome = py.detach(|| build_file(&path, &root, &module_path));
    match outcome {
        Ok(b) => {
            let d = PyDict::new(py);
            d.set_item("compiled", b.compiled)?;
            d.set_item("native", b.native)?;
            d.set_item("loaded", b.loaded)?;
            d.set_item("warnings", b.warnings)?;
            d.set_item("cache_dir", root)?;
            Ok(d)
        }
        Err(nvm::driver::Failure::Compile(e)) => Err(to_py_err(py, NkErr::Compile(e))),
        Err(f) => Err(NkError::new_err(f.message().trim_end().to_string())),
    }
}

#[derive(Default)]
struct Built {
    compiled: u64,
    native: u64,
    loaded: u64,
    warnings: Vec<String>,
}

impl Built {
    fn add(&mut self, r: nvm::driver::RunReport) -> Result<(), nvm::driver::Failure> {
        r.result?;
        self.compiled += r.stats.compiled;
        self.native += r.stats.native;
        self.loaded += r.stats.loaded;
        self.warnings.extend(r.warnings);
        Ok(())
    }
}

fn build_file(
    path: &std::path::Path,
    root: &std::path::Path,
    module_path: &[PathBuf],
) -> Result<Built, nvm::driver::Failure> {
    use nvm::driver;
    let opts = nvm::Options {
        module_path: module_path.to_vec(),
        ..nvm::Options::default()
    };
    // Exactly `nvm build FILE`. An engine that loads the file as a module names its
    // functions `stem.f` where the script names them `f`; heap keys name callees by
    // signature, not by name, so the engine finds these entries all the same.
    let checked = driver::check_file_cached(path, module_path, Some(root))?;
    let mut built = Built::default();
    built.add(driver::build(&checked, &opts, root))?;
    Ok(built)
}

fn heap_root(dir: Option<&Bound<'_, PyAny>>) -> PyResult<PathBuf> {
    cache_dir_arg(dir)?.ok_or_else(|| PyValueError::new_err("no code heap folder"))
}

/// `nvm cache stats`: the code heap's entries, bytes, per target and per module (text).
#[pyfunction]
#[pyo3(signature = (cache_dir=None))]
fn cache_stats(py: Python<'_>, cache_dir: Option<&Bound<'_, PyAny>>) -> PyResult<String> {
    let root = heap_root(cache_dir)?;
    Ok(py.detach(|| nvm::driver::cache::stats(&root)))
}

/// `nvm cache verify`: checks every entry (checksums, and that each specialization is
/// stored once, with no caller's code containing a callee's). Returns (report, clean).
#[pyfunction]
#[pyo3(signature = (cache_dir=None))]
fn cache_verify(py: Python<'_>, cache_dir: Option<&Bound<'_, PyAny>>) -> PyResult<(String, bool)> {
    let root = heap_root(cache_dir)?;
    Ok(py.detach(|| nvm::driver::cache::verify(&root)))
}

/// The Python module.
#[pymodule]
fn _nvm(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let main: u64 = py
        .import("threading")?
        .call_method0("main_thread")?
        .getattr("ident")?
        .extract()?;
    MAIN_THREAD.store(main, Ordering::Relaxed);
    m.add_class::<Engine>()?;
    m.add_class::<Module>()?;
    m.add_class::<Function>()?;
    m.add_class::<Diagnostic>()?;
    m.add_class::<Frame>()?;
    m.add("CompileError", py.get_type::<CompileError>())?;
    m.add("NkError", py.get_type::<NkError>())?;
    m.add_function(wrap_pyfunction!(build, m)?)?;
    m.add_function(wrap_pyfunction!(cache_stats, m)?)?;
    m.add_function(wrap_pyfunction!(cache_verify, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
