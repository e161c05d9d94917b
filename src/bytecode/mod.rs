//! The interpreter's bytecode: a register machine over two register files.
//!
//! ```text
//!  scalar file  s[base_s + r] : u64   i64 / f64 bits / bool 0-1 — the IR says which
//!  array file   a[base_a + r] : Option<Rc<Array>>
//! ```
//! Tuples have no registers of their own: they are flattened into their leaves. A call
//! passes arguments in a *window*: the caller writes them into consecutive registers at
//! the top of its frame in both files, and the callee's frame starts there (Lua's
//! calling convention), so arguments are never copied again. Results come back the same
//! way, in the callee's first registers.
//!
//! Every operation is declared once, in the op table (`for_each_op!`, after LuaJIT's
//! `BCDEF` and Cranelift's `for_each_op!`): its meaning as a doc comment, its name, and its
//! fields, each with a [`Role`] — a scalar register read or written (as raw bits, as an
//! integer or as a float), a 3-D index, an array register, a register range whose length
//! is another field (`Ret { s: Reg => SResults(ns), .. }`), a jump target, or an index into
//! one of the function's tables. `define_ops!` generates from it the `Op` enum itself and
//! [`Op::operands`] (each field with its role, in a fixed-size array; [`Op::all_operands`]
//! visits them without building it), [`Op::name`] and [`Op::field_names`]. Everything else
//! about an op's operands is derived from those, never written per op again: [`Op::jump_target`] and [`Op::target_mut`], the registers an op reads and writes
//! ([`Op::s_reads`], [`Op::s_writes`]: the native tier's slow-path liveness), the bounds
//! [`verify`] checks (a register role's `base + len` inside its file's frame, a target inside
//! the code, a table index inside its table), and the native tier's register classes
//! (`jit::codegen::classify`, from the integer and float roles). What an op *does* is
//! written once per tier — the dispatch loop and Cranelift lowering — with the semantics
//! the native slow paths share with the interpreter in `interp::semantics`.
//!
//! Hot operations are small `Copy` variants; rare, data-heavy ones (array expressions,
//! built-ins, print) live in a per-function side table (`Ext`) so `Op` stays compact.
//! No operation checks a type at run time: the typed IR fixed them all.

// The ops' comments use register notation (`s[dst]`), not intra-doc links.
#![allow(rustdoc::broken_intra_doc_links)]

use crate::ir::{Builtin, FuncId, Type};
use crate::source::Span;
use crate::vocab::{BinOp, MathFn, MathFn2, Prim};

mod lower;

/// Why a specialization has no bytecode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BytecodeError {
    /// The function needs more registers than a frame can have (a limit of nk, reported to
    /// the user as a runtime error at the call).
    TooManyRegisters { func: String, max: usize },
    /// The verifier rejected the code: a bug in lowering, described.
    Invalid(String),
}

impl std::fmt::Display for BytecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BytecodeError::TooManyRegisters { func, max } => {
                write!(f, "`{func}` needs more than {max} registers")
            }
            BytecodeError::Invalid(what) => write!(f, "bytecode verifier: {what}"),
        }
    }
}

impl std::error::Error for BytecodeError {}

/// Lowers specialization `id` to verified bytecode.
pub fn compile(prog: &crate::ir::Program, id: FuncId) -> Result<CompiledFn, BytecodeError> {
    let f = lower::lower(prog, id)?;
    // The dispatch loop's unchecked register access relies on this check.
    verify(&f)?;
    Ok(f)
}

pub type Reg = u16;

/// Where a value lives: one register, or (for a tuple) the places of its leaves.
#[derive(Clone, Debug, PartialEq)]
pub enum Loc {
    S(Reg),
    A(Reg),
    Tuple(Vec<Loc>),
    Unit,
}

/// The op table: every op once, with its doc comment, its fields and each field's [`Role`].
///
/// `for_each_op!(m)` calls `m!` with the whole table; `define_ops!` below turns it into
/// the `Op` enum and the accessors that everything else derives from ([`Op::operands`],
/// [`Op::all_operands`], [`Op::name`], [`Op::field_names`], [`Op::target_mut`]). A field is `name: Type => Role`, or
/// `name: Type => Role(count)` for a register range whose length is field `count`.
macro_rules! for_each_op {
    ($m:ident) => {
        $m! {
            // --- moves and constants
            /// s[dst] = consts[k]
            LoadK { dst: Reg => SWrite, k: u32 => Const },
            /// s[dst] = s[src]
            Mov { dst: Reg => SWrite, src: Reg => SRead },
            /// a[dst] = a[src] (shares the array)
            MovA { dst: Reg => AWrite, src: Reg => ARead },

            // --- i64 arithmetic (wrapping) and f64 arithmetic (IEEE)
            AddI { dst: Reg => IWrite, a: Reg => IRead, b: Reg => IRead },
            SubI { dst: Reg => IWrite, a: Reg => IRead, b: Reg => IRead },
            MulI { dst: Reg => IWrite, a: Reg => IRead, b: Reg => IRead },
            /// floor division; error on zero divisor
            FloorDivI { dst: Reg => IWrite, a: Reg => IRead, b: Reg => IRead },
            /// floor modulo; error on zero divisor
            ModI { dst: Reg => IWrite, a: Reg => IRead, b: Reg => IRead },
            /// error on negative exponent
            PowI { dst: Reg => IWrite, a: Reg => IRead, b: Reg => IRead },
            /// s[dst] = s[a] // divisors[d] — a positive constant divisor, by multiplication
            FloorDivIK { dst: Reg => IWrite, a: Reg => IRead, d: u16 => Divisor },
            /// s[dst] = s[a] % divisors[d] — a positive constant divisor, by multiplication
            ModIK { dst: Reg => IWrite, a: Reg => IRead, d: u16 => Divisor },
            /// s[dst] = s[a] + imm
            AddIImm { dst: Reg => IWrite, a: Reg => IRead, imm: i32 => Imm },
            AddF { dst: Reg => FWrite, a: Reg => FRead, b: Reg => FRead },
            SubF { dst: Reg => FWrite, a: Reg => FRead, b: Reg => FRead },
            MulF { dst: Reg => FWrite, a: Reg => FRead, b: Reg => FRead },
            DivF { dst: Reg => FWrite, a: Reg => FRead, b: Reg => FRead },
            FloorDivF { dst: Reg => FWrite, a: Reg => FRead, b: Reg => FRead },
            ModF { dst: Reg => FWrite, a: Reg => FRead, b: Reg => FRead },
            PowF { dst: Reg => FWrite, a: Reg => FRead, b: Reg => FRead },
            /// s[dst] = s[a] ** 0.5, correctly rounded: a square root with `pow`'s +0 for -0
            /// and +inf for -inf (`runtime::ops::pow_half`)
            PowHalfF { dst: Reg => FWrite, a: Reg => FRead },
            /// s[dst] = s[a] * s[b] + s[c] (wrapping) — a superinstruction, like the five below
            MulAddI { dst: Reg => IWrite, a: Reg => IRead, b: Reg => IRead, c: Reg => IRead },
            /// s[dst] = s[a] * s[b] - s[c]
            MulSubI { dst: Reg => IWrite, a: Reg => IRead, b: Reg => IRead, c: Reg => IRead },
            /// s[dst] = s[c] - s[a] * s[b]
            SubMulI { dst: Reg => IWrite, a: Reg => IRead, b: Reg => IRead, c: Reg => IRead },
            /// s[dst] = s[a] * s[b] + s[c], rounded twice (not a fused multiply-add)
            MulAddF { dst: Reg => FWrite, a: Reg => FRead, b: Reg => FRead, c: Reg => FRead },
            /// s[dst] = s[a] * s[b] - s[c]
            MulSubF { dst: Reg => FWrite, a: Reg => FRead, b: Reg => FRead, c: Reg => FRead },
            /// s[dst] = s[c] - s[a] * s[b]
            SubMulF { dst: Reg => FWrite, a: Reg => FRead, b: Reg => FRead, c: Reg => FRead },
            NegI { dst: Reg => IWrite, a: Reg => IRead },
            AndI { dst: Reg => IWrite, a: Reg => IRead, b: Reg => IRead },
            OrI { dst: Reg => IWrite, a: Reg => IRead, b: Reg => IRead },
            XorI { dst: Reg => IWrite, a: Reg => IRead, b: Reg => IRead },
            /// s[a] << s[b]; error unless 0 <= s[b] < the width of kind `t`
            ShlI { dst: Reg => IWrite, a: Reg => IRead, b: Reg => IRead, t: Prim => Tag },
            /// s[a] >> s[b] (arithmetic); error unless 0 <= s[b] < the width of kind `t`
            ShrI { dst: Reg => IWrite, a: Reg => IRead, b: Reg => IRead, t: Prim => Tag },
            /// bitwise not
            NotI { dst: Reg => IWrite, a: Reg => IRead },
            NegF { dst: Reg => FWrite, a: Reg => FRead },
            Not { dst: Reg => IWrite, a: Reg => IRead },

            // --- comparisons: s[dst] = s[a] op s[b] as bool (Gt/Ge are emitted with swapped operands)
            LtI { dst: Reg => IWrite, a: Reg => IRead, b: Reg => IRead },
            LeI { dst: Reg => IWrite, a: Reg => IRead, b: Reg => IRead },
            EqI { dst: Reg => IWrite, a: Reg => IRead, b: Reg => IRead },
            NeI { dst: Reg => IWrite, a: Reg => IRead, b: Reg => IRead },
            LtF { dst: Reg => IWrite, a: Reg => FRead, b: Reg => FRead },
            LeF { dst: Reg => IWrite, a: Reg => FRead, b: Reg => FRead },
            EqF { dst: Reg => IWrite, a: Reg => FRead, b: Reg => FRead },
            NeF { dst: Reg => IWrite, a: Reg => FRead, b: Reg => FRead },

            // --- conversions and scalar math
            /// an integer (register form, i.e. an i64) → the float kind `to` (`f32`: rounded
            /// once to the nearest `f32`)
            I2F { dst: Reg => FWrite, a: Reg => IRead, to: Prim => Tag },
            /// a float → the integer kind `to`, truncating toward zero and saturating at its
            /// range, NaN → 0 (Rust's `as`); `bool`: nonzero
            F2I { dst: Reg => IWrite, a: Reg => FRead, to: Prim => Tag },
            /// an i64 → the register form of the integer kind `to` (`u8`/`i32`: the low bits,
            /// which is how narrow integer arithmetic wraps; `bool`: nonzero)
            NarrowI { dst: Reg => IWrite, a: Reg => IRead, to: Prim => Tag },
            /// an f64 → the nearest `f32` value (the register form of an `f32` result)
            RoundF32 { dst: Reg => FWrite, a: Reg => FRead },
            Math1 { f: MathFn => Tag, dst: Reg => FWrite, a: Reg => FRead },
            AbsI { dst: Reg => IWrite, a: Reg => IRead },
            Math2 { f: MathFn2 => Tag, dst: Reg => FWrite, a: Reg => FRead, b: Reg => FRead },
            MinI { dst: Reg => IWrite, a: Reg => IRead, b: Reg => IRead },
            MaxI { dst: Reg => IWrite, a: Reg => IRead, b: Reg => IRead },
            IsNan { dst: Reg => IWrite, a: Reg => FRead },
            IsInf { dst: Reg => IWrite, a: Reg => FRead },

            // --- control
            Jmp { target: u32 => Target },
            JmpIf { c: Reg => IRead, target: u32 => Target },
            JmpIfNot { c: Reg => IRead, target: u32 => Target },
            /// if !(s[a] < s[b]) goto target (i64) — a fused loop test
            JmpNotLtI { a: Reg => IRead, b: Reg => IRead, target: u32 => Target },
            /// if !(s[a] <= s[b]) goto target (i64)
            JmpNotLeI { a: Reg => IRead, b: Reg => IRead, target: u32 => Target },
            /// if s[a] != s[b] goto target (i64 or bool)
            JmpNotEqI { a: Reg => IRead, b: Reg => IRead, target: u32 => Target },
            /// if s[a] == s[b] goto target (i64 or bool)
            JmpNotNeI { a: Reg => IRead, b: Reg => IRead, target: u32 => Target },
            /// if !(s[a] < s[b]) goto target (f64)
            JmpNotLtF { a: Reg => FRead, b: Reg => FRead, target: u32 => Target },
            /// if !(s[a] <= s[b]) goto target (f64)
            JmpNotLeF { a: Reg => FRead, b: Reg => FRead, target: u32 => Target },
            /// s[i] += 1; if s[i] < s[end] goto target
            ForLoop { i: Reg => IUpdate, end: Reg => IRead, target: u32 => Target },
            /// error if s[step] == 0; if the range from s[i] is empty goto target
            ForStepPrep {
                i: Reg => IRead,
                end: Reg => IRead,
                step: Reg => IRead,
                target: u32 => Target,
            },
            /// s[i] += s[step]; if still inside the range goto target
            ForStep {
                i: Reg => IUpdate,
                end: Reg => IRead,
                step: Reg => IRead,
                target: u32 => Target,
            },

            // --- arrays (element access, bounds-checked, negative indices from the end)
            /// s[dst] = a[arr][s[i]]; `e` is the array's element type (native code reads
            /// `e.size()` bytes and converts them to the register form)
            ALoad1 { dst: Reg => SWrite, arr: Reg => AElems, i: Reg => Index, e: Prim => Tag },
            /// s[dst] = a[arr][s[i], s[j]]
            ALoad2 {
                dst: Reg => SWrite,
                arr: Reg => AElems,
                i: Reg => Index,
                j: Reg => Index,
                e: Prim => Tag,
            },
            /// s[dst] = a[arr][s[idx], s[idx+1], s[idx+2]]
            ALoad3 { dst: Reg => SWrite, arr: Reg => AElems, idx: Reg => Index3, e: Prim => Tag },
            /// a[arr][s[i]] = s[src] (`src` holds the register form of an `e`)
            AStore1 { arr: Reg => AElems, i: Reg => Index, src: Reg => SRead, e: Prim => Tag },
            AStore2 {
                arr: Reg => AElems,
                i: Reg => Index,
                j: Reg => Index,
                src: Reg => SRead,
                e: Prim => Tag,
            },
            AStore3 { arr: Reg => AElems, idx: Reg => Index3, src: Reg => SRead, e: Prim => Tag },
            /// s[dst] = len(a[arr])
            Len { dst: Reg => IWrite, arr: Reg => AElems },

            // --- calls, through the indirection table
            /// call table[slot] with the window at (s: base_s + s, a: base_a + a)
            Call { slot: FuncId => Slot, s: Reg => SWindow, a: Reg => AWindow },
            /// return the `ns` scalar leaves from s[s..] and `na` array leaves from a[a..]
            Ret { s: Reg => SResults(ns), ns: u16 => Count, a: Reg => AResults(na), na: u16 => Count },

            /// a rare operation described by `ext[i]`
            Ext { i: u32 => Ext },
        }
    };
}

/// What a field of an op is: which register file or table its value indexes, and how the
/// op uses it. Everything about an op's operands — the verifier's bounds, jump targets,
/// the native tier's register classes and slow-path liveness — follows from these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// s[r] read as raw bits, of whatever type the IR gave it (moves, stores)
    SRead,
    /// s[r] written with raw bits (constants, moves, element loads)
    SWrite,
    /// s[r] read as an i64 (or bool)
    IRead,
    /// s[r] written with an i64 (or bool)
    IWrite,
    /// s[r] read and written as an i64 (a loop counter)
    IUpdate,
    /// s[r] read as an f64
    FRead,
    /// s[r] written with an f64
    FWrite,
    /// s[r] read as an i64 element index
    Index,
    /// s[r], s[r+1], s[r+2] read as a 3-D element index
    Index3,
    /// a[r] read (the array is shared, not touched)
    ARead,
    /// a[r] replaced
    AWrite,
    /// a[r] read for its header: its elements are read or written, or its length taken
    AElems,
    /// the base of a call window in the scalar file (its size is the callee's frame)
    SWindow,
    /// the base of a call window in the array file
    AWindow,
    /// s[r..r + count] read: results, moved to the bottom of the frame
    SResults,
    /// a[r..r + count] moved to the bottom of the frame (the rest of the frame is cleared)
    AResults,
    /// the length of a result range
    Count,
    /// an index into the code: a jump target
    Target,
    /// an index into `consts`
    Const,
    /// an index into `divisors`
    Divisor,
    /// an index into `ext`
    Ext,
    /// an immediate operand
    Imm,
    /// which math function
    Tag,
    /// a slot of the function table
    Slot,
}

/// A register file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum File {
    S,
    A,
}

/// How an op treats the bits of a scalar register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    Int,
    Float,
}

impl Role {
    /// The register file a register role names.
    pub const fn file(self) -> Option<File> {
        use Role::*;
        match self {
            SRead | SWrite | IRead | IWrite | IUpdate | FRead | FWrite | Index | Index3
            | SWindow | SResults => Some(File::S),
            ARead | AWrite | AElems | AWindow | AResults => Some(File::A),
            Count | Target | Const | Divisor | Ext | Imm | Tag | Slot => None,
        }
    }

    /// As what a scalar register role reads or writes its register (`None`: raw bits).
    pub const fn class(self) -> Option<Class> {
        use Role::*;
        match self {
            IRead | IWrite | IUpdate | Index | Index3 => Some(Class::Int),
            FRead | FWrite => Some(Class::Float),
            _ => None,
        }
    }

    /// Whether the op reads the register(s) (a scalar role, or an array role's register).
    pub const fn reads(self) -> bool {
        use Role::*;
        matches!(
            self,
            SRead | IRead | IUpdate | FRead | Index | Index3 | SResults | ARead | AElems | AResults
        )
    }

    /// Whether the op writes the register(s).
    pub const fn writes(self) -> bool {
        use Role::*;
        matches!(self, SWrite | IWrite | IUpdate | FWrite | AWrite | AResults)
    }

    /// How many consecutive registers or table entries from the field's value the role
    /// names (a result range's length is another field: see [`OpField::len`]).
    const fn width(self) -> u32 {
        use Role::*;
        match self {
            Index3 => 3,
            SWindow | AWindow | SResults | AResults | Count | Imm | Tag | Slot => 0,
            _ => 1,
        }
    }
}

/// One field of an op, as [`Op::operands`] lists it (its name: [`Op::field_names`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpField {
    pub role: Role,
    /// The field's value (a register, an index, an immediate, a tag's discriminant).
    pub value: i64,
    /// How many consecutive registers or table entries from `value` it names.
    pub len: u32,
}

impl OpField {
    const NONE: OpField = OpField {
        role: Role::Imm,
        value: 0,
        len: 0,
    };

    /// The registers a register field names (empty for other fields).
    pub fn regs(&self) -> std::ops::Range<usize> {
        if self.role.file().is_some() {
            self.value as usize..self.value as usize + self.len as usize
        } else {
            0..0
        }
    }

    /// The scalar registers this field reads.
    pub fn s_reads(&self) -> std::ops::Range<usize> {
        match (self.role.file(), self.role.reads()) {
            (Some(File::S), true) => self.regs(),
            _ => 0..0,
        }
    }

    /// The scalar registers this field writes.
    pub fn s_writes(&self) -> std::ops::Range<usize> {
        match (self.role.file(), self.role.writes()) {
            (Some(File::S), true) => self.regs(),
            _ => 0..0,
        }
    }
}

/// The most fields an op has.
pub const MAX_FIELDS: usize = 5;

/// An op's fields in declaration order, without allocating.
#[derive(Clone, Copy, Debug)]
pub struct OpFields {
    buf: [OpField; MAX_FIELDS],
    n: u8,
}

impl OpFields {
    #[inline]
    fn new(fields: &[OpField]) -> Self {
        let mut buf = [OpField::NONE; MAX_FIELDS];
        buf[..fields.len()].copy_from_slice(fields);
        OpFields {
            buf,
            n: fields.len() as u8,
        }
    }
}

impl std::ops::Deref for OpFields {
    type Target = [OpField];
    fn deref(&self) -> &[OpField] {
        &self.buf[..self.n as usize]
    }
}

impl IntoIterator for OpFields {
    type Item = OpField;
    type IntoIter = std::iter::Take<std::array::IntoIter<OpField, MAX_FIELDS>>;
    fn into_iter(self) -> Self::IntoIter {
        self.buf.into_iter().take(self.n as usize)
    }
}

/// A field's value as [`OpField::value`].
trait FieldValue: Copy {
    fn value(self) -> i64;
}
impl FieldValue for u16 {
    fn value(self) -> i64 {
        self as i64
    }
}
impl FieldValue for u32 {
    fn value(self) -> i64 {
        self as i64
    }
}
impl FieldValue for i32 {
    fn value(self) -> i64 {
        self as i64
    }
}
impl FieldValue for MathFn {
    fn value(self) -> i64 {
        self as i64
    }
}
impl FieldValue for Prim {
    fn value(self) -> i64 {
        self as i64
    }
}
impl FieldValue for MathFn2 {
    fn value(self) -> i64 {
        self as i64
    }
}

/// A field's length: its role's width, or the value of the field that counts its range.
macro_rules! field_len {
    ($role:ident) => {
        Role::$role.width()
    };
    ($role:ident, $count:ident) => {
        $count as u32
    };
}

/// `Some(field)` for the jump-target field, nothing for the others.
macro_rules! if_target {
    (Target, $f:ident) => {
        return Some($f)
    };
    ($role:ident, $f:ident) => {
        let _ = $f;
    };
}

/// Turns the op table into the `Op` enum and its accessors.
macro_rules! define_ops {
    ($(
        $(#[$doc:meta])*
        $name:ident { $($field:ident : $ty:ty => $role:ident $(($count:ident))?),+ $(,)? }
    ),+ $(,)?) => {
        /// One bytecode instruction (generated from `for_each_op!`).
        #[derive(Clone, Copy, Debug)]
        pub enum Op {
            $(
                $(#[$doc])*
                $name { $($field: $ty),+ },
            )+
        }

        // Every op fits `OpFields`.
        const _: () = {
            $(assert!([$(stringify!($field)),+].len() <= MAX_FIELDS);)+
        };

        impl Op {
            /// The op's name, as in the table (for tests and tools: `internals`).
            #[cfg(any(test, feature = "internals"))]
            pub fn name(&self) -> &'static str {
                match self {
                    $(Op::$name { .. } => stringify!($name),)+
                }
            }

            /// The names of the op's fields, in declaration order (for tests and tools).
            #[cfg(any(test, feature = "internals"))]
            pub fn field_names(&self) -> &'static [&'static str] {
                match self {
                    $(Op::$name { .. } => &[$(stringify!($field)),+],)+
                }
            }

            /// The op's fields with their roles, in declaration order.
            #[inline]
            pub fn operands(&self) -> OpFields {
                match *self {
                    $(Op::$name { $($field),+ } => OpFields::new(&[$(OpField {
                        role: Role::$role,
                        value: FieldValue::value($field),
                        len: field_len!($role $(, $count)?),
                    }),+]),)+
                }
            }

            /// Whether `pred` holds for every field, in declaration order, stopping at the
            /// first that fails: [`Op::operands`] without building the list — inlined with a
            /// closure, each op's checks fold to the ones its roles need.
            #[inline(always)]
            pub fn all_operands(&self, mut pred: impl FnMut(OpField) -> bool) -> bool {
                match *self {
                    $(Op::$name { $($field),+ } => true $(&& pred(OpField {
                        role: Role::$role,
                        value: FieldValue::value($field),
                        len: field_len!($role $(, $count)?),
                    }))+,)+
                }
            }

            /// The op's jump-target field, if it can jump (for patching forward jumps).
            pub fn target_mut(&mut self) -> Option<&mut u32> {
                match self {
                    $(Op::$name { $($field),+ } => {
                        $(if_target!($role, $field);)+
                    })+
                }
                None
            }
        }
    };
}

for_each_op!(define_ops);

pub mod encode;

// Keep the hot instruction compact: a size regression here slows every program.
const _: () = assert!(std::mem::size_of::<Op>() <= 12);

impl Op {
    /// The op's jump target (its `Role::Target` field), if it can jump.
    pub fn jump_target(&self) -> Option<u32> {
        let mut op = *self;
        op.target_mut().copied()
    }

    /// Whether the op can go on to the next one (every op but `Jmp` and `Ret`).
    pub fn falls_through(&self) -> bool {
        !matches!(self, Op::Jmp { .. } | Op::Ret { .. })
    }

    /// The scalar registers the op reads (a call window's are the callee's business).
    pub fn s_reads(&self) -> impl Iterator<Item = Reg> {
        self.operands()
            .into_iter()
            .flat_map(|o| o.s_reads())
            .map(|r| r as Reg)
    }

    /// Whether the op may put another array into an array register of its frame, or run
    /// code that may: a call (its window), a return, an `Ext` op, a write of an array
    /// register.
    pub fn may_replace_arrays(&self) -> bool {
        matches!(self, Op::Call { .. } | Op::Ret { .. } | Op::Ext { .. })
            || self
                .operands()
                .iter()
                .any(|o| matches!(o.role, Role::AWrite | Role::AResults))
    }

    /// The scalar registers the op writes in its own frame (a call's results come back in
    /// its window, a return's leave the frame).
    pub fn s_writes(&self) -> impl Iterator<Item = Reg> {
        self.operands()
            .into_iter()
            .flat_map(|o| o.s_writes())
            .map(|r| r as Reg)
    }
}

/// An operand of an elementwise array operation.
#[derive(Clone, Debug)]
pub enum Operand {
    Array(Reg),
    Scalar(Reg, Prim),
}

#[derive(Clone, Debug)]
pub enum SliceOperand {
    At(Reg),
    /// `lo:hi:step`, each an `i64` register or absent
    Range(Option<Reg>, Option<Reg>, Option<Reg>),
    /// `None`: a new axis of length 1
    NewAxis,
}

#[derive(Clone, Debug)]
pub enum PrintArg {
    Str(String),
    Value(Type, Loc),
}

/// The rare, data-heavy operations.
#[derive(Clone, Debug)]
pub enum Ext {
    Print(Vec<PrintArg>),
    /// error with `message` if s[c] is false
    Assert {
        c: Reg,
        message: String,
    },
    /// a[dst] = elementwise a op b
    /// `a_temp`/`b_temp`: the operand's register holds a temporary (not a variable), so
    /// if no one else holds the array the result may be written into it.
    /// `elems`: the element types of `a` and `b` (a scalar's own type), so the result's is
    /// `Prim::binop_result(op, elems[0], elems[1])` — native code fuses chains by them.
    ArrayBin {
        op: BinOp,
        a: Operand,
        b: Operand,
        dst: Reg,
        a_temp: bool,
        b_temp: bool,
        elems: [Prim; 2],
    },
    ArrayNeg {
        src: Reg,
        dst: Reg,
    },
    ArrayNot {
        src: Reg,
        dst: Reg,
    },
    ArrayCast {
        to: Prim,
        src: Reg,
        dst: Reg,
    },
    /// a[dst] = view of a[arr]
    Slice {
        arr: Reg,
        index: Vec<SliceOperand>,
        dst: Reg,
    },
    /// a[arr][index] = value (a scalar fills, an array is copied in)
    StoreSlice {
        arr: Reg,
        index: Vec<SliceOperand>,
        value: Operand,
    },
    /// a[dst] = a[arr][a[index]], a copy (`index` a bool mask or an integer array)
    Take {
        arr: Reg,
        index: Reg,
        dst: Reg,
    },
    /// a[arr][a[index]] = value (a scalar fills the selected places, an array's
    /// elements go to them in order)
    StoreTake {
        arr: Reg,
        index: Reg,
        value: Operand,
    },
    /// dst = builtin(args), through the generic value path
    Builtin {
        b: Builtin,
        args: Vec<(Type, Loc)>,
        dst: Loc,
    },
    /// A `prange` loop (`ir::ParLoop`): calls `slot`, its outlined body, with the window at
    /// (`s`, `a`) as `Call` does — `n_s`/`n_a` argument registers: start, end, the
    /// captured values, the reductions' values — or, when a tier runs it in parallel, once
    /// per part of the range, combining the parts' results (at `s..`, one per reduction)
    /// in range order by `reds`: how, and the result's element type.
    ParFor {
        slot: FuncId,
        s: Reg,
        a: Reg,
        n_s: u16,
        n_a: u16,
        reds: Vec<(crate::vocab::Reduce, Prim)>,
    },
}

/// The source span of each op, 8 bytes an op rather than a [`Span`]'s 12 (a 400,000-statement
/// script has 1.3 million ops): a span whose file or length does not fit 16 bits is kept
/// on the side.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Spans {
    packed: Vec<PackedSpan>,
    wide: Vec<Span>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct PackedSpan {
    /// The span's start, or with `file == WIDE` its index in `wide`.
    lo: u32,
    len: u16,
    file: u16,
}

const WIDE: u16 = u16::MAX;

impl Spans {
    pub fn with_capacity(n: usize) -> Spans {
        Spans {
            packed: Vec::with_capacity(n),
            wide: Vec::new(),
        }
    }

    pub fn push(&mut self, s: Span) {
        let len = s.hi.checked_sub(s.lo).and_then(|n| u16::try_from(n).ok());
        let file = u16::try_from(s.file).ok().filter(|&f| f != WIDE);
        let p = match (file, len) {
            (Some(file), Some(len)) => PackedSpan { lo: s.lo, len, file },
            _ => {
                self.wide.push(s);
                PackedSpan {
                    lo: (self.wide.len() - 1) as u32,
                    len: 0,
                    file: WIDE,
                }
            }
        };
        self.packed.push(p);
    }

    /// The span of op `pc` (the default span past the end).
    pub fn at(&self, pc: usize) -> Span {
        match self.packed.get(pc) {
            Some(p) if p.file == WIDE => self.wide[p.lo as usize],
            Some(p) => Span {
                file: p.file as u32,
                lo: p.lo,
                hi: p.lo + p.len as u32,
            },
            None => Span::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.packed.len()
    }

    pub fn is_empty(&self) -> bool {
        self.packed.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = Span> + '_ {
        (0..self.len()).map(|pc| self.at(pc))
    }

    pub fn shrink_to_fit(&mut self) {
        self.packed.shrink_to_fit();
    }
}

impl FromIterator<Span> for Spans {
    fn from_iter<I: IntoIterator<Item = Span>>(iter: I) -> Spans {
        let mut spans = Spans::default();
        for s in iter {
            spans.push(s);
        }
        spans
    }
}

/// One specialization compiled to bytecode.
#[derive(Debug, Clone)]
pub struct CompiledFn {
    pub func: FuncId,
    pub code: Vec<Op>,
    /// The source span of each op, for runtime errors.
    pub spans: Spans,
    pub consts: Vec<u64>,
    /// Positive constant divisors with their precomputed reciprocals (`FloorDivIK`, `ModIK`):
    /// a multiply and a shift instead of a 64-bit hardware division.
    pub divisors: Vec<strength_reduce::StrengthReducedU64>,
    pub ext: Vec<Ext>,
    /// Frame sizes in both files.
    pub n_s: usize,
    pub n_a: usize,
}

impl CompiledFn {
    /// The callees in link-vector order: first appearance in code order. Native code
    /// numbers its call sites with this list, and the heap key names callees in it.
    pub fn callees(&self) -> Vec<FuncId> {
        let mut out = Vec::new();
        for op in &self.code {
            let slot = match *op {
                Op::Call { slot, .. } => slot,
                // Native code runs a `prange` body through the VM, but the body is a
                // callee all the same: its signature is part of the caller's heap key.
                Op::Ext { i } => match &self.ext[i as usize] {
                    Ext::ParFor { slot, .. } => *slot,
                    _ => continue,
                },
                _ => continue,
            };
            if !out.contains(&slot) {
                out.push(slot);
            }
        }
        out
    }

    /// Whether the code has a loop (a jump backwards).
    pub fn has_loop(&self) -> bool {
        self.code
            .iter()
            .enumerate()
            .any(|(pc, op)| op.jump_target().is_some_and(|t| t as usize <= pc))
    }

    /// A readable listing (for the inspector and for debugging the compiler).
    pub fn disassemble(&self) -> String {
        let mut out = String::new();
        for (pc, op) in self.code.iter().enumerate() {
            out.push_str(&format!("{pc:5}  {op:?}"));
            if let Op::Ext { i } = op {
                out.push_str(&format!("  ; {:?}", self.ext[*i as usize]));
            }
            if let Op::LoadK { k, .. } = op {
                out.push_str(&format!("  ; bits {:#x}", self.consts[*k as usize]));
            }
            out.push('\n');
        }
        out
    }
}

/// Checks that every operand of every op is inside its function's frame and tables, every
/// jump lands inside the code, and the code cannot run off its end. The dispatch loop
/// relies on this to index registers and code without bounds checks.
pub fn verify(f: &CompiledFn) -> Result<(), BytecodeError> {
    let n_code = f.code.len();
    let bad = |pc: usize, what: &str| {
        Err(BytecodeError::Invalid(format!(
            "op {pc} ({:?}): {what}",
            f.code[pc]
        )))
    };
    match f.code.last() {
        Some(Op::Ret { .. }) | Some(Op::Jmp { .. }) => {}
        _ => return Err(BytecodeError::Invalid("code may run off its end".into())),
    }
    if f.spans.len() != n_code {
        return Err(BytecodeError::Invalid("one span per op is required".into()));
    }
    for (pc, op) in f.code.iter().enumerate() {
        // Each field names `len` consecutive registers or table entries from `value`.
        let ok = op.all_operands(|o| {
            let limit = match (o.role.file(), o.role) {
                (Some(File::S), _) => f.n_s,
                (Some(File::A), _) => f.n_a,
                (None, Role::Target) => n_code,
                (None, Role::Const) => f.consts.len(),
                (None, Role::Divisor) => f.divisors.len(),
                (None, Role::Ext) => f.ext.len(),
                _ => return true,
            };
            o.value as usize + o.len as usize <= limit
        });
        if !ok {
            return bad(pc, "operand outside the frame, tables or code");
        }
        // A `prange` window's registers are read and written by the VM.
        if let Op::Ext { i } = op {
            if let Some(Ext::ParFor {
                s,
                a,
                n_s,
                n_a,
                reds,
                ..
            }) = f.ext.get(*i as usize)
            {
                let scalars = (*n_s as usize).max(reds.len());
                if *s as usize + scalars > f.n_s || *a as usize + *n_a as usize > f.n_a {
                    return bad(pc, "prange window outside the frame");
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_pack_what_fits_and_keep_the_rest_whole() {
        let spans = [
            Span::new(0, 3, 9),
            Span::new(7, 4_000_000_000, 4_000_065_535),
            Span::new(1, 10, 70_000),       // too long for 16 bits
            Span::new(65_535, 1, 2),        // the escape's file number itself
            Span::new(1 << 20, 5, 6),       // a file number past 16 bits
            Span { file: 2, lo: 9, hi: 3 }, // not a range: kept as it is
            Span::default(),
        ];
        let table: Spans = spans.iter().copied().collect();
        assert_eq!(table.len(), spans.len());
        assert_eq!(table.iter().collect::<Vec<_>>(), spans);
        assert_eq!(table.wide.len(), 4);
        assert_eq!(table.at(spans.len()), Span::default(), "past the end");
        assert_eq!(std::mem::size_of::<PackedSpan>(), 8);
    }

    fn func(code: Vec<Op>, n_s: usize) -> CompiledFn {
        CompiledFn {
            func: 0,
            spans: std::iter::repeat_n(Span::default(), code.len()).collect(),
            code,
            consts: vec![7],
            divisors: vec![],
            ext: vec![],
            n_s,
            n_a: 0,
        }
    }

    #[test]
    fn verifier_accepts_well_formed_code() {
        let f = func(
            vec![
                Op::LoadK { dst: 0, k: 0 },
                Op::AddI { dst: 1, a: 0, b: 0 },
                Op::Ret {
                    s: 1,
                    ns: 1,
                    a: 0,
                    na: 0,
                },
            ],
            2,
        );
        assert!(verify(&f).is_ok());
    }

    #[test]
    fn verifier_rejects_out_of_frame_registers_bad_jumps_and_fall_through() {
        let reg = func(
            vec![
                Op::AddI { dst: 2, a: 0, b: 0 },
                Op::Ret {
                    s: 0,
                    ns: 0,
                    a: 0,
                    na: 0,
                },
            ],
            2,
        );
        assert!(verify(&reg).is_err());
        let jump = func(vec![Op::Jmp { target: 5 }], 1);
        assert!(verify(&jump).is_err());
        let falls = func(vec![Op::Mov { dst: 0, src: 0 }], 1);
        assert!(verify(&falls).is_err());
        let konst = func(
            vec![
                Op::LoadK { dst: 0, k: 1 },
                Op::Ret {
                    s: 0,
                    ns: 0,
                    a: 0,
                    na: 0,
                },
            ],
            1,
        );
        assert!(verify(&konst).is_err());
    }

    #[test]
    fn verifier_bounds_come_from_the_roles() {
        let ret = Op::Ret {
            s: 0,
            ns: 0,
            a: 0,
            na: 0,
        };
        let ok = |op: Op, n_s: usize| verify(&func(vec![op, ret], n_s)).is_ok();
        // A 3-D index names three registers.
        let load3 = |idx| Op::ALoad3 {
            dst: 0,
            arr: 0,
            idx,
            e: Prim::F64,
        };
        let mut f = func(vec![load3(1), ret], 4);
        f.n_a = 1;
        assert!(verify(&f).is_ok());
        f.code[0] = load3(2);
        assert!(verify(&f).is_err());
        // A call window may start at the top of the frame; a result range must fit in it.
        assert!(ok(
            Op::Call {
                slot: 9,
                s: 3,
                a: 0
            },
            3
        ));
        assert!(!ok(
            Op::Call {
                slot: 9,
                s: 4,
                a: 0
            },
            3
        ));
        let results = |s, ns| Op::Ret { s, ns, a: 0, na: 0 };
        assert!(ok(results(1, 2), 3));
        assert!(!ok(results(2, 2), 3));
        // Divisor and ext indices are bounded by their tables.
        assert!(!ok(Op::ModIK { dst: 0, a: 0, d: 0 }, 1));
        assert!(!ok(Op::Ext { i: 0 }, 1));
    }

    #[test]
    fn the_table_gives_names_fields_and_targets() {
        let mut op = Op::ForStepPrep {
            i: 1,
            end: 2,
            step: 3,
            target: 7,
        };
        assert_eq!(op.name(), "ForStepPrep");
        assert_eq!(op.field_names(), ["i", "end", "step", "target"]);
        let roles: Vec<Role> = op.operands().iter().map(|o| o.role).collect();
        assert_eq!(roles, [Role::IRead, Role::IRead, Role::IRead, Role::Target]);
        assert_eq!(op.jump_target(), Some(7));
        *op.target_mut().unwrap() = 9;
        assert_eq!(op.jump_target(), Some(9));
        assert_eq!(op.s_reads().collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(op.s_writes().count(), 0);
        let mut add = Op::AddI { dst: 0, a: 1, b: 2 };
        assert!(add.target_mut().is_none());
        assert_eq!(add.s_writes().collect::<Vec<_>>(), [0]);
        let store = Op::AStore3 {
            arr: 0,
            idx: 4,
            src: 1,
            e: Prim::F64,
        };
        assert_eq!(store.s_reads().collect::<Vec<_>>(), [4, 5, 6, 1]);
        // The Debug text (which the code heap's keys hash) is the derived one.
        assert_eq!(format!("{add:?}"), "AddI { dst: 0, a: 1, b: 2 }");
    }
}
