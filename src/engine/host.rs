//! Rust functions and closures callable from nk ([`super::Engine::register_fn`],
//! [`super::Engine::register_fn_with`]).
//!
//! A host function's nk signature comes from its Rust types: parameters implement
//! [`HostArg`] (`f64`, `i64`, `bool`, `Array1`..`Array3` of `f64`/`i64`/`bool`, tuples of
//! these), the result [`HostRet`] (those, `()`, or `Result<T, E: Display>`, whose `Err`
//! becomes an nk runtime error). The type checker sees the signature as it sees a
//! built-in's: calls are checked (an `i64` argument widens to an `f64` parameter) and every
//! other mismatch is a compile error at the call.
//!
//! Host functions are `Send + 'static` (they own what they use, so an engine can move to
//! another thread). State they mutate is either captured (atomics, `Mutex`) or handed to
//! the engine with [`super::Engine::register_fn_with`], which passes `&mut S` as the first
//! parameter and gives back a [`HostState`] handle to read it between calls — the design of
//! mlua's app data, scoped to one function, rather than a context parameter like rhai's
//! `NativeCallContext` (nk host functions need no access to the engine itself).
//!
//! A panic in a host function becomes an nk runtime error ("host function panicked: ...")
//! and prints nothing: while a host function runs, a panic hook that ignores panics of the
//! current thread (and passes every other thread's to the previous hook) is installed, and
//! the previous hook is restored when no host function runs any more.

use super::convert::{owned_into_nk, FromNk, NkElement};
use super::{Engine, Error};
use crate::interp::{HostFn, Value};
use crate::ir::Type;
use crate::runtime::Scalar;
use crate::vocab::Prim;
use std::cell::Cell;
use std::panic::PanicHookInfo;
use std::rc::Rc;
use std::sync::{Arc, Mutex, MutexGuard};

/// A Rust type a host function can take from nk.
pub trait HostArg: Sized {
    /// The nk parameter type (an error for types nk cannot name, like `ArrayD`).
    fn nk_type() -> Result<Type, String>;
    /// Converts the nk argument.
    fn from_nk_arg(v: &Value) -> Result<Self, String>;
}

/// A Rust type a host function can give back to nk.
pub trait HostRet {
    /// The nk result type.
    fn nk_type() -> Result<Type, String>;
    /// Converts the result for nk.
    fn into_nk_ret(self) -> Result<Value, String>;
}

fn wrong(v: &Value, want: &str) -> String {
    format!("internal: a host function expected {want}, got {v:?}")
}

macro_rules! scalar {
    ($t:ty, $ty:expr, $variant:ident) => {
        impl HostArg for $t {
            fn nk_type() -> Result<Type, String> {
                Ok($ty)
            }
            fn from_nk_arg(v: &Value) -> Result<Self, String> {
                match v {
                    Value::S(Scalar::$variant(x)) => Ok(*x),
                    other => Err(wrong(other, stringify!($t))),
                }
            }
        }
        impl HostRet for $t {
            fn nk_type() -> Result<Type, String> {
                Ok($ty)
            }
            fn into_nk_ret(self) -> Result<Value, String> {
                Ok(Value::S(Scalar::$variant(self)))
            }
        }
    };
}
scalar!(f64, Type::F64, F64);
scalar!(i64, Type::I64, I64);
scalar!(bool, Type::BOOL, Bool);
scalar!(f32, Type::Prim(Prim::F32), F32);
scalar!(i32, Type::Prim(Prim::I32), I32);
scalar!(u8, Type::Prim(Prim::U8), U8);

fn array_type<A: NkElement, D: ndarray::Dimension>() -> Result<Type, String> {
    match D::NDIM {
        Some(n @ 1..=3) => Ok(Type::Array(A::PRIM, n as u8)),
        _ => Err(
            "host functions take and return arrays of 1, 2 or 3 dimensions \
                  (Array1, Array2, Array3), not ArrayD or other ranks"
                .into(),
        ),
    }
}

impl<A: NkElement, D: ndarray::Dimension> HostArg for ndarray::Array<A, D> {
    fn nk_type() -> Result<Type, String> {
        array_type::<A, D>()
    }
    /// A copy of the nk array (nk keeps its own).
    fn from_nk_arg(v: &Value) -> Result<Self, String> {
        FromNk::from_nk(v.clone()).map_err(|e| format!("internal: host argument: {e}"))
    }
}

/// Any layout (transposed, reversed, stepped): nk gets the elements in logical order.
impl<A: NkElement, D: ndarray::Dimension> HostRet for ndarray::Array<A, D> {
    fn nk_type() -> Result<Type, String> {
        array_type::<A, D>()
    }
    fn into_nk_ret(self) -> Result<Value, String> {
        owned_into_nk(self).map_err(|e| e.to_string())
    }
}

impl HostRet for () {
    fn nk_type() -> Result<Type, String> {
        Ok(Type::Unit)
    }
    fn into_nk_ret(self) -> Result<Value, String> {
        Ok(Value::Unit)
    }
}

/// `Err(e)` stops the nk program with the runtime error `e` (and the nk call chain).
impl<T: HostRet, E: std::fmt::Display> HostRet for Result<T, E> {
    fn nk_type() -> Result<Type, String> {
        T::nk_type()
    }
    fn into_nk_ret(self) -> Result<Value, String> {
        self.map_err(|e| e.to_string())?.into_nk_ret()
    }
}

macro_rules! tuples {
    ($(($($t:ident),+))*) => {$(
        impl<$($t: HostRet),+> HostRet for ($($t,)+) {
            fn nk_type() -> Result<Type, String> {
                Ok(Type::tuple(vec![$($t::nk_type()?),+]))
            }
            #[allow(non_snake_case)]
            fn into_nk_ret(self) -> Result<Value, String> {
                let ($($t,)+) = self;
                Ok(Value::T(vec![$($t.into_nk_ret()?),+]))
            }
        }
        /// An nk tuple of as many elements.
        impl<$($t: HostArg),+> HostArg for ($($t,)+) {
            fn nk_type() -> Result<Type, String> {
                Ok(Type::tuple(vec![$($t::nk_type()?),+]))
            }
            #[allow(non_snake_case)]
            fn from_nk_arg(v: &Value) -> Result<Self, String> {
                let Value::T(vs) = v else {
                    return Err(wrong(v, "a tuple"));
                };
                let mut it = vs.iter();
                $(let $t = $t::from_nk_arg(it.next().ok_or_else(|| wrong(v, "a longer tuple"))?)?;)+
                Ok(($($t,)+))
            }
        }
    )*};
}
tuples! {
    (A, B)
    (A, B, C)
    (A, B, C, D)
    (A, B, C, D, E)
    (A, B, C, D, E, F)
    (A, B, C, D, E, F, G)
    (A, B, C, D, E, F, G, H)
}

/// A Rust function or closure nk can call: `Fn(A, B, ...) -> R + Send + 'static` with
/// [`HostArg`] parameters (up to eight) and a [`HostRet`] result. `Args` is the parameter
/// tuple (inferred).
pub trait HostFunction<Args>: Send + 'static {
    /// Parameter types and result type.
    fn signature() -> Result<(Vec<Type>, Type), String>;
    /// The function as the interpreter calls it.
    fn into_host(self) -> HostFn;
}

/// A Rust function or closure nk can call with state `S` the engine keeps for it:
/// `Fn(&mut S, A, B, ...) -> R + Send + 'static`, registered with
/// [`Engine::register_fn_with`]. nk sees only `A, B, ...`.
pub trait HostFunctionWith<S, Args>: Send + 'static {
    /// The function of the nk arguments alone, over `state`.
    fn bind(self, state: HostState<S>) -> impl HostFunction<Args>;
}

/// The state of a host function registered with [`Engine::register_fn_with`]: a handle
/// (cheap to clone) to read or change it between calls.
///
/// The host function gets `&mut S` while it runs; don't call [`HostState::with`] on the
/// same state from inside it (the lock is not reentrant).
pub struct HostState<S>(Arc<Mutex<S>>);

impl<S> Clone for HostState<S> {
    fn clone(&self) -> Self {
        HostState(self.0.clone())
    }
}

impl<S> HostState<S> {
    fn new(s: S) -> HostState<S> {
        HostState(Arc::new(Mutex::new(s)))
    }
    /// Runs `f` on the state. (A panic of the host function while it held the state does
    /// not lock it out: the state is as that call left it.)
    pub fn with<R>(&self, f: impl FnOnce(&mut S) -> R) -> R {
        f(&mut self.lock())
    }
    /// A copy of the state.
    pub fn get(&self) -> S
    where
        S: Clone,
    {
        self.lock().clone()
    }
    fn lock(&self) -> MutexGuard<'_, S> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<S: std::fmt::Debug> std::fmt::Debug for HostState<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("HostState").field(&*self.lock()).finish()
    }
}

/// The message of a panic payload.
fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".into())
}

/// Runs a host function: its panic becomes `Err("host function panicked: ...")`, silently.
fn run_host(f: impl FnOnce() -> Result<Value, String>) -> Result<Value, String> {
    match quiet::catch(f) {
        Ok(r) => r,
        Err(p) => Err(format!("host function panicked: {}", panic_message(&*p))),
    }
}

macro_rules! host_fn {
    ($($a:ident),*) => {
        impl<F, R, $($a),*> HostFunction<($($a,)*)> for F
        where
            F: Fn($($a),*) -> R + Send + 'static,
            R: HostRet,
            $($a: HostArg,)*
        {
            fn signature() -> Result<(Vec<Type>, Type), String> {
                Ok((vec![$($a::nk_type()?),*], R::nk_type()?))
            }
            #[allow(non_snake_case, unused_mut, unused_variables)]
            fn into_host(self) -> HostFn {
                Rc::new(move |args: &[Value]| {
                    let mut it = args.iter();
                    $(let $a = $a::from_nk_arg(
                        it.next().ok_or("internal: too few arguments for a host function")?,
                    )?;)*
                    run_host(|| self($($a),*).into_nk_ret())
                })
            }
        }

        impl<F, S, R, $($a),*> HostFunctionWith<S, ($($a,)*)> for F
        where
            F: Fn(&mut S, $($a),*) -> R + Send + 'static,
            S: Send + 'static,
            R: HostRet,
            $($a: HostArg,)*
        {
            #[allow(non_snake_case)]
            fn bind(self, state: HostState<S>) -> impl HostFunction<($($a,)*)> {
                move |$($a: $a),*| self(&mut state.lock(), $($a),*)
            }
        }
    };
}
host_fn!();
host_fn!(A);
host_fn!(A, B);
host_fn!(A, B, C);
host_fn!(A, B, C, D);
host_fn!(A, B, C, D, E);
host_fn!(A, B, C, D, E, G);
host_fn!(A, B, C, D, E, G, H);
host_fn!(A, B, C, D, E, G, H, I);

impl Engine {
    /// [`Engine::register_fn`] for a function with state: `f` gets `&mut state` first and
    /// then the nk arguments; the returned [`HostState`] reads or changes the state between
    /// calls. The state lives as long as the function stays registered (and the handles).
    ///
    /// ```
    /// use nvm::engine::Engine;
    ///
    /// let mut engine = Engine::new();
    /// // nk sees `draw(f64) -> f64`; the host keeps a running total.
    /// let total = engine
    ///     .register_fn_with("draw", 0.0_f64, |sum: &mut f64, x: f64| {
    ///         *sum += x;
    ///         *sum
    ///     })
    ///     .unwrap();
    /// engine.load_str("m", "fn f() -> f64 { draw(1.5); return draw(2.0); }").unwrap();
    /// assert_eq!(engine.call::<f64>("f", ()).unwrap(), 3.5);
    /// assert_eq!(total.get(), 3.5);
    /// total.with(|s| *s = 0.0);
    /// assert_eq!(engine.call::<f64>("f", ()).unwrap(), 3.5);
    /// ```
    pub fn register_fn_with<S, Args, F>(
        &mut self,
        name: &str,
        state: S,
        f: F,
    ) -> Result<HostState<S>, Error>
    where
        S: Send + 'static,
        F: HostFunctionWith<S, Args>,
    {
        let state = HostState::new(state);
        self.register_fn(name, f.bind(state.clone()))?;
        Ok(state)
    }
}

/// Silencing panics of host functions (see the module docs).
mod quiet {
    use super::*;

    type Hook = Box<dyn Fn(&PanicHookInfo<'_>) + Sync + Send + 'static>;

    thread_local! {
        /// Host functions running on this thread (nested ones count again).
        static QUIET: Cell<u32> = const { Cell::new(0) };
    }

    /// Host functions running on any thread, and the hook to restore when none does.
    static INSTALLED: Mutex<(usize, Option<Arc<Hook>>)> = Mutex::new((0, None));

    fn installed() -> MutexGuard<'static, (usize, Option<Arc<Hook>>)> {
        INSTALLED.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f`, catching its panic; the panic hook prints nothing for panics on this
    /// thread meanwhile.
    pub(super) fn catch<R>(f: impl FnOnce() -> R) -> std::thread::Result<R> {
        // `take_hook`/`set_hook` refuse to run on a panicking thread (a host call from a
        // destructor during unwinding): then the panic is caught but not silenced.
        let hooked = !std::thread::panicking();
        if hooked {
            let mut g = installed();
            if g.0 == 0 {
                let previous: Arc<Hook> = Arc::new(std::panic::take_hook());
                g.1 = Some(previous.clone());
                std::panic::set_hook(Box::new(move |info| {
                    if QUIET.with(Cell::get) == 0 {
                        previous(info);
                    }
                }));
            }
            g.0 += 1;
        }
        QUIET.with(|q| q.set(q.get() + 1));
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
        QUIET.with(|q| q.set(q.get().saturating_sub(1)));
        if hooked {
            let mut g = installed();
            g.0 = g.0.saturating_sub(1);
            if g.0 == 0 && !std::thread::panicking() {
                if let Some(previous) = g.1.take() {
                    // Ours holds the other reference to `previous`: drop it first, so the
                    // previous hook is put back as it was, not wrapped.
                    drop(std::panic::take_hook());
                    match Arc::try_unwrap(previous) {
                        Ok(hook) => std::panic::set_hook(hook),
                        Err(shared) => std::panic::set_hook(Box::new(move |i| shared(i))),
                    }
                }
            }
        }
        r
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use std::sync::atomic::{AtomicUsize, Ordering};

        static SEEN: AtomicUsize = AtomicUsize::new(0);

        /// One test touches the process-wide hook (tests run in parallel threads).
        #[test]
        fn host_panics_are_silent_and_the_previous_hook_comes_back() {
            let before = std::panic::take_hook();
            // Counts only this test's panics (other tests run meanwhile).
            std::panic::set_hook(Box::new(|info| {
                if panic_message(info.payload()).starts_with("quiet-test") {
                    SEEN.fetch_add(1, Ordering::SeqCst);
                }
            }));
            // Silenced inside, nested too.
            let r = catch(|| catch(|| -> i32 { panic!("quiet-test inner") }).map(|_| 1));
            assert!(matches!(r, Ok(Err(_))));
            let r = catch(|| -> i32 { panic!("quiet-test outer") });
            assert_eq!(panic_message(&*r.unwrap_err()), "quiet-test outer");
            assert_eq!(
                SEEN.load(Ordering::SeqCst),
                0,
                "a silenced panic reached the hook"
            );
            // Restored: a panic outside a host call reaches the previous hook, once.
            let _ = std::panic::catch_unwind(|| panic!("quiet-test outside"));
            assert_eq!(SEEN.load(Ordering::SeqCst), 1);
            // Another thread's panic while a host call runs reaches it too.
            let r = catch(|| {
                let _ = std::thread::spawn(|| panic!("quiet-test elsewhere")).join();
                7
            });
            assert_eq!(r.ok(), Some(7));
            assert_eq!(SEEN.load(Ordering::SeqCst), 2);
            assert_eq!(installed().0, 0);
            std::panic::set_hook(before);
        }
    }
}
