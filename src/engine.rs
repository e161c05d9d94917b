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
//! **Stopping** a long call: set [`crate::interp::INTERRUPT`] (from another thread, a
//! timer, a signal handler); the running nk code stops at its next loop iteration and the
//! call returns [`Error::Runtime`] with the message "interrupted".
//!
//! **Arrays** cross the boundary by copy in this version: an `ndarray` argument is copied
//! into an nk array, an nk array result into an `ndarray::ArrayD`.

use crate::driver::{render_runtime_error, Checked, Failure};
use crate::interp::{Interp, Tier, TierPolicy, Value};
use crate::ir::ops::Prim;
use crate::ir::Type;
use crate::runtime::{Array, Scalar};
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// What went wrong in an engine call.
#[derive(Debug, Clone)]
pub enum Error {
    /// Syntax or type errors, rendered with file, line, column and caret.
    Compile(String),
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
    policy: TierPolicy,
    cache: Option<PathBuf>,
    module_paths: Vec<PathBuf>,
    capture: bool,
}

impl EngineBuilder {
    /// Which tier runs the code (default: [`Tier::Auto`]).
    pub fn tier(mut self, tier: Tier) -> Self {
        self.policy.tier = tier;
        self
    }
    /// In `Auto`, calls after which a loop-free function is compiled.
    pub fn jit_calls(mut self, n: u32) -> Self {
        self.policy.jit_calls = n;
        self
    }
    /// Keep compiled code in (and load it from) this code heap folder. Default: none.
    pub fn cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache = Some(dir.into());
        self
    }
    /// Folders searched for `import`ed modules (like `NVM_PATH`), after a module's own.
    pub fn module_path(mut self, dir: impl Into<PathBuf>) -> Self {
        self.module_paths.push(dir.into());
        self
    }
    /// Collect what nk `print`s instead of writing it to stdout ([`Engine::take_output`]).
    pub fn capture_output(mut self) -> Self {
        self.capture = true;
        self
    }
    pub fn build(self) -> Engine {
        Engine {
            policy: self.policy,
            cache: self.cache,
            module_paths: self.module_paths,
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
}

struct State {
    checked: Checked,
    it: Interp<'static>,
    /// Entry index → its specialization.
    ids: HashMap<usize, u32>,
}

/// An nk engine: load modules, call their functions. See the module documentation.
pub struct Engine {
    policy: TierPolicy,
    cache: Option<PathBuf>,
    module_paths: Vec<PathBuf>,
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
            policy: TierPolicy::default(),
            cache: None,
            module_paths: Vec::new(),
            capture: false,
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
        if let Err(e) = self.rebuild() {
            self.modules = old;
            self.entries = old_entries;
            let _ = self.rebuild();
            return Err(e);
        }
        Ok(())
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
                "fn __nvm_entry_{k}({}) {{ return {}({}); }}\n",
                params.join(", "),
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
        paths.extend(self.module_paths.iter().cloned());
        let loaded = crate::loader::load_source_with("<engine>", self.script(), None, paths, texts);
        let checked = crate::driver::finish_check_loaded(loaded, false).map_err(|f| match f {
            Failure::Compile(r) => Error::Compile(r),
            other => Error::Usage(other.message().to_string()),
        })?;
        let out: Box<dyn Write> = match &self.output {
            Some(buf) => Box::new(Capture(buf.clone())),
            None => Box::new(std::io::stdout()),
        };
        let mut it = Interp::with_policy(checked.program.clone(), out, self.policy);
        if let Some(c) = &self.cache {
            it.use_code_heap(c.clone());
        }
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
    /// `()`, `(x,)`, `(x, y)`, ...) and converts its result to `R`.
    pub fn call<R: FromNk>(&mut self, func: &str, args: impl IntoArgs) -> Result<R, Error> {
        let args = args.into_args()?;
        let v = self.call_values(func, args)?;
        R::from_nk(v).map_err(Error::Usage)
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
        crate::driver::inspect(&state.checked, &target, None, &[crate::driver::Emit::Ir])
            .map_err(Error::Usage)
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
        });
        if let Err(e) = self.rebuild() {
            self.entries.pop();
            let _ = self.rebuild();
            return Err(e);
        }
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
        let values: Vec<Value> = args.into_iter().map(|(_, v)| v).collect();
        let result =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| state.it.call(id, &values)));
        state.it.flush();
        match result {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => {
                let sources = &state.checked.sources;
                let chain = e
                    .chain
                    .iter()
                    .filter(|(n, _)| !n.starts_with("__nvm_entry_"))
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
        }
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
    pub fn stats(&self) -> crate::interp::Stats {
        self.state
            .as_ref()
            .map(|s| s.it.stats.clone())
            .unwrap_or_default()
    }
}

/// A Rust value nk can take as an argument.
pub trait IntoNk {
    /// Its nk type, as written in a parameter list (`i64`, `f64[,]`).
    fn nk_type(&self) -> Result<String, Error>;
    fn into_nk(self) -> Value;
}

impl IntoNk for i64 {
    fn nk_type(&self) -> Result<String, Error> {
        Ok("i64".into())
    }
    fn into_nk(self) -> Value {
        Value::S(Scalar::I64(self))
    }
}

impl IntoNk for f64 {
    fn nk_type(&self) -> Result<String, Error> {
        Ok("f64".into())
    }
    fn into_nk(self) -> Value {
        Value::S(Scalar::F64(self))
    }
}

impl IntoNk for bool {
    fn nk_type(&self) -> Result<String, Error> {
        Ok("bool".into())
    }
    fn into_nk(self) -> Value {
        Value::S(Scalar::Bool(self))
    }
}

/// Element types of arrays that cross the boundary.
pub trait NkElement: Copy {
    const PRIM: Prim;
    fn to_bits(self) -> u64;
    fn from_bits(bits: u64) -> Self;
}

impl NkElement for f64 {
    const PRIM: Prim = Prim::F64;
    fn to_bits(self) -> u64 {
        f64::to_bits(self)
    }
    fn from_bits(bits: u64) -> Self {
        f64::from_bits(bits)
    }
}

impl NkElement for i64 {
    const PRIM: Prim = Prim::I64;
    fn to_bits(self) -> u64 {
        self as u64
    }
    fn from_bits(bits: u64) -> Self {
        bits as i64
    }
}

impl<S, D, A> IntoNk for ndarray::ArrayBase<S, D>
where
    S: ndarray::Data<Elem = A>,
    D: ndarray::Dimension,
    A: NkElement,
{
    fn nk_type(&self) -> Result<String, Error> {
        let n = self.ndim();
        if !(1..=3).contains(&n) {
            return Err(Error::Usage(format!(
                "nk arrays have 1 to 3 dimensions, not {n}"
            )));
        }
        Ok(format!("{}[{}]", A::PRIM.name(), ",".repeat(n - 1)))
    }
    fn into_nk(self) -> Value {
        let shape = self.shape().to_vec();
        let bits: Vec<u64> = self.iter().map(|x| x.to_bits()).collect();
        Value::A(Rc::new(Array::from_vec(A::PRIM, &shape, bits)))
    }
}

/// Argument lists: tuples of [`IntoNk`] values.
pub trait IntoArgs {
    fn into_args(self) -> Result<Vec<(String, Value)>, Error>;
}

impl IntoArgs for () {
    fn into_args(self) -> Result<Vec<(String, Value)>, Error> {
        Ok(vec![])
    }
}

macro_rules! into_args {
    ($($t:ident),+) => {
        impl<$($t: IntoNk),+> IntoArgs for ($($t,)+) {
            #[allow(non_snake_case)]
            fn into_args(self) -> Result<Vec<(String, Value)>, Error> {
                let ($($t,)+) = self;
                Ok(vec![$(($t.nk_type()?, $t.into_nk())),+])
            }
        }
    };
}
into_args!(A);
into_args!(A, B);
into_args!(A, B, C);
into_args!(A, B, C, D);
into_args!(A, B, C, D, E);
into_args!(A, B, C, D, E, F);

/// A Rust type an nk result converts to.
pub trait FromNk: Sized {
    fn from_nk(v: Value) -> Result<Self, String>;
}

fn mismatch(want: &str, v: &Value) -> String {
    let have = match v {
        Value::S(s) => Type::Prim(s.prim()).to_string(),
        Value::A(a) => Type::Array(a.elem(), a.shape().len() as u8).to_string(),
        Value::T(_) => "a tuple".into(),
        Value::Unit => "nothing".into(),
    };
    format!("the nk function returned {have}, not {want}")
}

impl FromNk for f64 {
    fn from_nk(v: Value) -> Result<Self, String> {
        match v {
            Value::S(Scalar::F64(x)) => Ok(x),
            other => Err(mismatch("f64", &other)),
        }
    }
}

impl FromNk for i64 {
    fn from_nk(v: Value) -> Result<Self, String> {
        match v {
            Value::S(Scalar::I64(x)) => Ok(x),
            other => Err(mismatch("i64", &other)),
        }
    }
}

impl FromNk for bool {
    fn from_nk(v: Value) -> Result<Self, String> {
        match v {
            Value::S(Scalar::Bool(x)) => Ok(x),
            other => Err(mismatch("bool", &other)),
        }
    }
}

impl FromNk for () {
    fn from_nk(v: Value) -> Result<Self, String> {
        match v {
            Value::Unit => Ok(()),
            other => Err(mismatch("nothing", &other)),
        }
    }
}

impl<A: NkElement> FromNk for ndarray::ArrayD<A> {
    fn from_nk(v: Value) -> Result<Self, String> {
        match v {
            Value::A(a) if a.elem() == A::PRIM => {
                let data: Vec<A> = a.to_vec_bits().into_iter().map(A::from_bits).collect();
                ndarray::ArrayD::from_shape_vec(a.shape().to_vec(), data)
                    .map_err(|e| format!("internal: {e}"))
            }
            other => Err(mismatch(&format!("{}[...]", A::PRIM.name()), &other)),
        }
    }
}

macro_rules! from_tuple {
    ($($t:ident),+) => {
        impl<$($t: FromNk),+> FromNk for ($($t,)+) {
            #[allow(non_snake_case)]
            fn from_nk(v: Value) -> Result<Self, String> {
                match v {
                    Value::T(vs) => {
                        let n = vs.len();
                        let mut it = vs.into_iter();
                        let r = ($($t::from_nk(it.next().ok_or_else(|| format!("a tuple of {n}"))?)?,)+);
                        if it.next().is_some() {
                            return Err(format!("the nk function returned a tuple of {n}"));
                        }
                        Ok(r)
                    }
                    other => Err(mismatch("a tuple", &other)),
                }
            }
        }
    };
}
from_tuple!(A, B);
from_tuple!(A, B, C);
from_tuple!(A, B, C, D);
