//! The native calling convention: what compiled code and the runtime agree on.
//!
//! Every compiled specialization has one signature, [`NativeFn`]:
//! `fn(ctx, bs, ba, slot, depth) -> status`. `bs`/`ba` are the absolute bases of the callee's
//! frame in the interpreter's two register files — native frames live in the same files as
//! interpreted ones (the window convention of `bytecode`), so the tiers call each
//! other without marshalling. `slot` is the callee's own table slot in this program: the
//! helpers find its bytecode by it, and its link vector is `ctx.links[slot]`. `depth` is
//! the number of nk frames active counting the callee's own: the prologue reports a stack
//! overflow when it exceeds `ctx.max_depth`, and each call passes its own plus one. (In a
//! register, not a counter in memory: every call's increment and decrement of one word was
//! a chain of loads and stores through the whole run, fib_rec 1.12x its time.) `status` is
//! 0, or 1 when an nk runtime error was recorded in the interpreter (never an unwind or a
//! signal): the caller adds its frame to the error's call chain and returns 1 too.
//!
//! Compiled code reaches everything outside itself through [`Ctx`]: the runtime through
//! `helpers`, other nk functions through two indirections — its *link vector* maps its
//! k-th callee to a slot of this program, and `table[slot]` is that slot's current entry
//! (the patchable indirection table). The code holds no absolute address and no slot
//! number: its bytes are the same in every process and every program that uses the
//! function, which the persistent code heap relies on.

use crate::vocab::{MathFn, MathFn2};
use std::ffi::c_void;

/// A compiled specialization's entry point.
pub type NativeFn = unsafe extern "C" fn(ctx: *mut Ctx, bs: u64, ba: u64, slot: u64, depth: u64) -> u64;

/// The context passed to every compiled function. `repr(C)`: native code reads the fields
/// at the offsets below.
#[repr(C)]
pub struct Ctx {
    /// Scalar register file (`u64` words) and its length. Reloaded after every call and
    /// helper: a callee may grow (move) the files.
    pub s_ptr: *mut u64,
    pub s_len: u64,
    /// Array register file: one word per register, an `Option<Rc<Array>>`.
    pub a_ptr: *mut c_void,
    pub a_len: u64,
    /// Native entry of every slot: compiled code, or the interpreter trampoline.
    pub table: *const usize,
    /// Per slot, its native code's link vector: the slot of each callee, in the order the
    /// code numbers them (`codegen` lists them in `Compiled::callees`).
    pub links: *const usize,
    /// Runtime helpers, indexed by the `H_*` constants (declared in [`for_each_helper`]).
    pub helpers: *const usize,
    /// The `depth` of a native frame that runs a `prange` loop, stored by its code just
    /// before `H_EXEC_OP` runs the loop (native code passes depths as a parameter and
    /// reads no other). `max_depth`: the most nk frames allowed; a prologue whose `depth`
    /// exceeds it reports "stack overflow".
    pub depth: u64,
    pub max_depth: u64,
    /// Lowest stack address native frames may use (the thread's stack, less a margin for
    /// the helpers and nested interpreter runs they call); a prologue below it reports
    /// "stack overflow" instead of running into the guard page.
    pub stack_limit: u64,
    /// The interpreter that owns this context (set before each entry into native code).
    pub interp: *mut c_void,
    /// All zeros: what native code reads as the header of an empty array register (null
    /// pointer, shape 0 — so every bounds check fails and the slow path reports it).
    pub empty_header: [u64; 8],
    /// A byte that is non-zero when the run must stop (`vm::INTERRUPT`, or an engine's own flag): read at every
    /// loop back-edge.
    pub interrupt: *const u8,
    /// Null on the thread that owns the interpreter; on a worker thread of a `prange`
    /// loop, the worker that runs native code with this context (the helpers serve it
    /// instead of the interpreter). Native code never reads it.
    pub worker: *mut c_void,
}

pub const CTX_S_PTR: i32 = std::mem::offset_of!(Ctx, s_ptr) as i32;
pub const CTX_S_LEN: i32 = std::mem::offset_of!(Ctx, s_len) as i32;
pub const CTX_A_PTR: i32 = std::mem::offset_of!(Ctx, a_ptr) as i32;
pub const CTX_A_LEN: i32 = std::mem::offset_of!(Ctx, a_len) as i32;
pub const CTX_TABLE: i32 = std::mem::offset_of!(Ctx, table) as i32;
pub const CTX_LINKS: i32 = std::mem::offset_of!(Ctx, links) as i32;
pub const CTX_HELPERS: i32 = std::mem::offset_of!(Ctx, helpers) as i32;
pub const CTX_DEPTH: i32 = std::mem::offset_of!(Ctx, depth) as i32;
pub const CTX_MAX_DEPTH: i32 = std::mem::offset_of!(Ctx, max_depth) as i32;
pub const CTX_STACK_LIMIT: i32 = std::mem::offset_of!(Ctx, stack_limit) as i32;
pub const CTX_EMPTY_HEADER: i32 = std::mem::offset_of!(Ctx, empty_header) as i32;
pub const CTX_INTERRUPT: i32 = std::mem::offset_of!(Ctx, interrupt) as i32;
const _: () = assert!(
    crate::runtime::native_layout::NDIM + 8 <= 64,
    "the empty header covers every field native code reads"
);

/// Every runtime helper native code calls, declared once: its index constant (the slot in
/// `Ctx::helpers`), the name of the function that implements it, and its Rust function
/// type. From this one list come the `H_*` indices, [`HELPER_SIGNATURES`] (which `jit`
/// turns into Cranelift signatures) and the pointer table `vm` fills — where the compiler
/// checks each function against its declared type, so a mismatch cannot reach run time.
/// `$m` is a macro called with the whole list.
macro_rules! for_each_helper {
    ($m:ident) => {
        $m! {
            /// `(ctx, bs, ba, slot, pc)`: runs bytecode op `pc` of the function in `slot` the
            /// way the interpreter does, on the frame in memory (slow paths, rare ops,
            /// errors); returns the status. The frame's values come first, in the order of
            /// a function's own parameters (and `H_ENTER`'s), so that the register
            /// allocator, which places them by their uses, leaves them where they arrived.
            (H_EXEC_OP, exec_op, fn(*mut Ctx, u64, u64, u64, u64) -> u64),
            /// `(ctx, bs, ba, slot, depth)`: the prologue's slow path — grows the register
            /// files for the frame, or reports a stack overflow or an interrupt; returns the
            /// status.
            (H_ENTER, enter, fn(*mut Ctx, u64, u64, u64, u64) -> u64),
            /// `(ctx, slot, pc)`: adds the frame of a failed call (at op `pc`) to the error chain.
            (H_TRACE, trace, fn(*mut Ctx, u64, u64)),
            /// `(code, x) -> f64`: a `MathFn` (by index, [`math1_code`]) on a float.
            (H_MATH1, math1, fn(i64, f64) -> f64),
            /// `(code, x, y) -> f64`: a `MathFn2` ([`math2_code`]) or one of the `M2_*` below.
            (H_MATH2, math2, fn(i64, f64, f64) -> f64),
            /// `(word)`: releases the last reference held by an array register's word
            /// (native code adjusts counts above one inline; see `pure::rc_layout`).
            (H_RELEASE, release, fn(u64)),
            /// `(ctx, ba, packed, dst) -> n`: prepares a fused elementwise loop — checks the
            /// array registers packed in `packed` (up to 4, 14 bits each; their count in bits
            /// 56–58, the element type `e` as its `Prim` index in bits 59–61) hold contiguous
            /// arrays of `e` of one shape, makes register `dst` hold a contiguous `e` array of
            /// that shape that nothing else can see — the array already there when no one
            /// else holds it or its storage, else a new one — and returns its element count;
            /// -1 if the loop cannot be used (then the operations run one by one, as the
            /// interpreter runs them). Bit 62: the caller holds one reference of its own to
            /// the array in `dst` (an input too), which keeps it alive through the loop.
            (H_FUSE, fuse, fn(*mut Ctx, u64, u64, u64) -> i64),
            /// `(ctx, ba, packed, x, y) -> status`: the common views without the interpreter
            /// (`runtime::FastView`): register `packed & 0xffff` of the frame at `ba`,
            /// viewed, into register `(packed >> 16) & 0xffff`. Bit 32 of `packed` clear: the
            /// row `a[x]`; set: `a[x:y]`, bit 33 saying `x` is present, bit 34 `y`. Returns 0
            /// when done, 1 (nothing changed) when the view is not one of these or an index
            /// is out of range: the caller then runs the op through `H_EXEC_OP`.
            (H_VIEW, view, fn(*mut Ctx, u64, u64, u64, u64) -> u64),
            /// `(ctx, slot, pc)`: records "interrupted" at op `pc` (the run must stop);
            /// returns the status (always 1).
            (H_INTERRUPTED, interrupted, fn(*mut Ctx, u64, u64) -> u64),
            /// `(ctx, ba, packed) -> status`: `copy` of the array in register `packed &
            /// 0xffff` of the frame at `ba` into register `(packed >> 16) & 0xffff`, without
            /// the interpreter's built-in path (`Array::copy_ref`: a header and buffer the
            /// thread's pool kept, when it has them). Returns 0 when done, 1 (nothing
            /// changed) when the source register is empty: the caller then runs the op
            /// through `H_EXEC_OP`, which reports it.
            (H_COPY, copy, fn(*mut Ctx, u64, u64) -> u64),
            /// `(ctx, ba, packed, x, y) -> status`: `copy(a[x:y])` without the view in
            /// between (`packed` as for `H_VIEW`, bit 32 set: a range), for a slice whose
            /// register nothing reads afterwards. Returns 0 when done, 1 (nothing changed)
            /// when the source register is empty or the range is not one `H_VIEW` takes:
            /// the caller then runs the slice and the copy through `H_EXEC_OP`.
            (H_COPY_SLICE, copy_slice, fn(*mut Ctx, u64, u64, u64, u64) -> u64),
        }
    };
}
pub(crate) use for_each_helper;

/// How a helper's parameter or result is passed: in an integer or a float register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AbiClass {
    I64,
    F64,
}

/// The Rust types helpers take and return, by register class.
pub trait AbiType {
    const CLASS: AbiClass;
}
impl AbiType for u64 {
    const CLASS: AbiClass = AbiClass::I64;
}
impl AbiType for i64 {
    const CLASS: AbiClass = AbiClass::I64;
}
impl AbiType for f64 {
    const CLASS: AbiClass = AbiClass::F64;
}
impl AbiType for *mut Ctx {
    const CLASS: AbiClass = AbiClass::I64;
}

/// A helper's signature: its parameters' classes and its result's, if any.
#[derive(Clone, Copy, Debug)]
pub struct HelperSig {
    pub params: &'static [AbiClass],
    pub ret: Option<AbiClass>,
}

macro_rules! ret_class {
    () => {
        None
    };
    ($ret:ty) => {
        Some(<$ret as AbiType>::CLASS)
    };
}

macro_rules! declare_helpers {
    ($( $(#[doc = $doc:literal])* ($idx:ident, $name:ident, fn($($arg:ty),*) $(-> $ret:ty)?) ),* $(,)?) => {
        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        #[repr(usize)]
        enum HelperIndex { $($idx,)* Count }
        $( $(#[doc = $doc])* pub const $idx: usize = HelperIndex::$idx as usize; )*
        /// The number of helpers (the length of `Ctx::helpers`).
        pub const N_HELPERS: usize = HelperIndex::Count as usize;
        /// Each helper's signature, in index order.
        pub const HELPER_SIGNATURES: [HelperSig; N_HELPERS] = [
            $( HelperSig { params: &[$(<$arg as AbiType>::CLASS),*], ret: ret_class!($($ret)?) }, )*
        ];
    };
}
for_each_helper!(declare_helpers);

/// Extra `H_MATH2` codes after the `MathFn2` variants.
pub const M2_POWF: i64 = 100;
pub const M2_FLOORDIV: i64 = 101;
pub const M2_MOD: i64 = 102;

/// The `H_MATH1` code of a `MathFn`: its index in `MathFn::ALL`.
pub fn math1_code(f: MathFn) -> i64 {
    MathFn::ALL.iter().position(|&g| g == f).unwrap_or(0) as i64
}

/// The `H_MATH2` code of a `MathFn2`: its index in `MathFn2::ALL`.
pub fn math2_code(f: MathFn2) -> i64 {
    MathFn2::ALL.iter().position(|&g| g == f).unwrap_or(0) as i64
}

/// Inverse of [`math2_code`], for the helper.
pub fn math2_from_code(c: i64) -> Option<MathFn2> {
    usize::try_from(c).ok().and_then(|i| MathFn2::ALL.get(i).copied())
}

pub mod pure;
