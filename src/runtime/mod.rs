//! The runtime shared by every execution tier: n-dimensional arrays, scalar arithmetic
//! semantics, value formatting for `print`, the random number generator, runtime errors and
//! data files (`.npy`, CSV: [`files`]).
//!
//! Invariants:
//! - Nothing here panics on any user-controlled input (indices, shapes, sizes, values): every
//!   failure is an [`RtError`] carrying the user-facing message. Allocation of user-sized
//!   arrays is fallible.
//! - Scalar and elementwise array arithmetic go through the same functions in [`ops`], so a
//!   scalar loop and the equivalent array expression can never disagree.
//! - Array storage is `Rc<Storage>` over `Cell<u64>` elements, so views share storage and
//!   writes through one view are seen by all. No `unsafe` but the two marked items of
//!   [`array::Storage`] that read memory the embedding program lends for one call, and the
//!   GEMM call of `dot` (`array/linalg.rs`).
//! - This module knows nothing about syntax, types, bytecode or the JIT.

#![deny(unsafe_code)]

pub mod array;
pub mod error;
pub mod files;
pub mod format;
pub mod ops;
pub mod random;

pub use array::{
    native_layout, put_view, slice_into, Array, ArrayRef, FastView, InPlace, Index, MemoryBudget, OwnedWords, Storage, MAX_ELEMENTS,
};
pub use error::{RtError, RuntimeError};
pub use ops::Scalar;
