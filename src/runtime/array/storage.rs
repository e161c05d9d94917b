//! [`Storage`], the owner of an array's elements: one buffer of 64-bit words, either owned
//! (allocated fallibly, refused up front when larger than physical memory) or lent by the
//! embedding program for one call.
//!
//! Invariant: the only `unsafe` of the runtime is here. A lent buffer is made only through
//! the `unsafe` [`Storage::lend`], whose contract makes [`Storage::cells`] sound; `Cells` is
//! private to this file, so no other code can build one.

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use crate::runtime::error::RtError;

/// The owner of an array's elements: one contiguous buffer of 64-bit words.
#[derive(Debug)]
pub struct Storage {
    cells: Cells,
    /// The memory budget this buffer counts against (owned buffers made while one was
    /// active), released when the buffer goes.
    budget: Option<Arc<MemoryBudget>>,
}

/// A cap on the bytes of array buffers alive at once that nk code made while the budget
/// was active (an engine's memory limit). An allocation that is checked first (`zeros`,
/// `full`, `arange`, ...) and would pass the cap fails with a runtime error; one made by
/// an elementwise kernel is counted after the fact and, if the cap is passed, sets
/// `exceeded` and the run's stop flag, so the run stops at its next loop iteration or call
/// (as a time limit does) and the engine reports the limit.
#[derive(Debug)]
pub struct MemoryBudget {
    limit: u64,
    used: AtomicU64,
    exceeded: AtomicBool,
    stop: Arc<AtomicBool>,
}

thread_local! {
    /// The budget of the nk call running on this thread, if any.
    static BUDGET: RefCell<Option<Arc<MemoryBudget>>> = const { RefCell::new(None) };
}

impl MemoryBudget {
    /// A budget of `limit` bytes; passing it sets `stop` (the run's stop flag).
    pub fn new(limit: u64, stop: Arc<AtomicBool>) -> Arc<MemoryBudget> {
        Arc::new(MemoryBudget {
            limit,
            used: AtomicU64::new(0),
            exceeded: AtomicBool::new(false),
            stop,
        })
    }

    /// The cap, in bytes.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Bytes held now by buffers counted against the budget.
    pub fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }

    /// Whether the cap was passed since the last call of this (which clears it).
    pub fn take_exceeded(&self) -> bool {
        self.exceeded.swap(false, Ordering::Relaxed)
    }

    /// Runs `f` with this budget active on the current thread (the previous one is put
    /// back after, also if `f` panics).
    pub fn run<R>(self: &Arc<Self>, f: impl FnOnce() -> R) -> R {
        struct Restore(Option<Arc<MemoryBudget>>);
        impl Drop for Restore {
            fn drop(&mut self) {
                let prev = self.0.take();
                BUDGET.with(|b| *b.borrow_mut() = prev);
            }
        }
        let prev = BUDGET.with(|b| b.borrow_mut().replace(self.clone()));
        let _restore = Restore(prev);
        f()
    }
}

/// An error if an allocation of `bytes` would pass the active budget.
fn charge_check(bytes: u64, shape: impl FnOnce() -> String) -> Result<(), RtError> {
    BUDGET.with(|b| match &*b.borrow() {
        Some(budget) if budget.used().saturating_add(bytes) > budget.limit => {
            Err(RtError::new(format!(
                "memory limit exceeded: an array of shape {} needs {bytes} bytes; this engine's arrays may hold {} bytes at once ({} in use)",
                shape(),
                budget.limit,
                budget.used()
            )))
        }
        _ => Ok(()),
    })
}

impl Drop for Storage {
    fn drop(&mut self) {
        if let (Some(b), Cells::Owned(v)) = (&self.budget, &self.cells) {
            b.used
                .fetch_sub((v.capacity() as u64) * 8, Ordering::Relaxed);
        }
    }
}

#[derive(Debug)]
enum Cells {
    Owned(Vec<Cell<u64>>),
    /// Words of the embedding program, lent for one call (see [`Storage::lend`] and
    /// [`Storage::lend_read_only`]).
    Lent {
        ptr: std::ptr::NonNull<Cell<u64>>,
        len: usize,
        /// Lent by shared reference: nk must not write (see [`Storage::lend_read_only`]).
        read_only: bool,
    },
}

impl Storage {
    /// Storage over `len` words at `ptr` that belong to someone else (an `ndarray` the
    /// embedding program passes by `&mut`): nk reads and writes them in place.
    ///
    /// # Safety
    /// `ptr` must be valid for reads and writes of `len` 8-byte words, and nothing else may
    /// access them, for as long as this `Storage` lives. (The engine lends memory only for
    /// the duration of one call and checks that the storage is dropped before it returns.)
    #[allow(unsafe_code)]
    pub unsafe fn lend(ptr: std::ptr::NonNull<u64>, len: usize) -> Storage {
        Storage {
            cells: Cells::Lent {
                ptr: ptr.cast(),
                len,
                read_only: false,
            },
            budget: None,
        }
    }

    /// Storage over `len` words at `ptr` that the embedding program lends *for reading*
    /// (an `ndarray` passed by `&` or as an `ArrayView`): nk reads them in place and must
    /// never write them. [`Storage::is_read_only`] says so, and the engine lends such
    /// memory only to functions that write no array (`ir::effects::writes_arrays`),
    /// replacing it by a copy otherwise.
    ///
    /// # Safety
    /// `ptr` must be valid for reads of `len` 8-byte words, and nothing may write them, for
    /// as long as this `Storage` lives; and nothing may write through this `Storage`
    /// (no `Cell::set` on its [`Storage::cells`]) — the memory may be behind a shared
    /// reference.
    #[allow(unsafe_code)]
    pub unsafe fn lend_read_only(ptr: std::ptr::NonNull<u64>, len: usize) -> Storage {
        Storage {
            cells: Cells::Lent {
                ptr: ptr.cast(),
                len,
                read_only: true,
            },
            budget: None,
        }
    }

    /// All words of the buffer, in memory order.
    #[allow(unsafe_code)]
    pub fn cells(&self) -> &[Cell<u64>] {
        match &self.cells {
            Cells::Owned(v) => v,
            // SAFETY: `lend`'s contract: `len` words at `ptr` are valid and ours alone while
            // `self` lives; `Cell<u64>` has the layout of `u64`, and all access is through
            // `Cell`, so shared references to the slice are sound (for read-only loans,
            // `lend_read_only`'s contract adds that no `Cell` of it is ever set).
            Cells::Lent { ptr, len, .. } => unsafe { std::slice::from_raw_parts(ptr.as_ptr(), *len) },
        }
    }
    /// Number of words in the buffer.
    pub fn len(&self) -> usize {
        self.cells().len()
    }
    pub fn is_empty(&self) -> bool {
        self.cells().is_empty()
    }
    /// Address of the first word (for native code; reading it needs the owner kept alive).
    pub fn as_ptr(&self) -> *const Cell<u64> {
        self.cells().as_ptr()
    }
    /// Whether the words are lent by the embedding program.
    pub fn is_lent(&self) -> bool {
        matches!(self.cells, Cells::Lent { .. })
    }
    /// Whether the words are lent for reading only ([`Storage::lend_read_only`]).
    pub fn is_read_only(&self) -> bool {
        matches!(
            self.cells,
            Cells::Lent {
                read_only: true,
                ..
            }
        )
    }

    /// Storage owning `cells` (counted against the active memory budget, if any).
    pub(super) fn owned(cells: Vec<Cell<u64>>) -> Storage {
        let budget = BUDGET.with(|b| b.borrow().clone());
        if let Some(b) = &budget {
            let bytes = (cells.capacity() as u64) * 8;
            let used = b.used.fetch_add(bytes, Ordering::Relaxed) + bytes;
            if used > b.limit {
                b.exceeded.store(true, Ordering::Relaxed);
                b.stop.store(true, Ordering::Relaxed);
            }
        }
        Storage {
            cells: Cells::Owned(cells),
            budget,
        }
    }

    /// The owned words (no longer counted against a budget), or the storage back
    /// unchanged when its words are lent.
    pub(super) fn into_owned(mut self) -> Result<Vec<Cell<u64>>, Storage> {
        match std::mem::replace(&mut self.cells, Cells::Owned(Vec::new())) {
            Cells::Owned(v) => {
                if let Some(b) = self.budget.take() {
                    b.used
                        .fetch_sub((v.capacity() as u64) * 8, Ordering::Relaxed);
                }
                Ok(v)
            }
            cells => {
                self.cells = cells;
                Err(self)
            }
        }
    }
}

pub(super) fn oom(shape: &str) -> RtError {
    RtError::new(format!(
        "cannot allocate array of shape {shape}: out of memory"
    ))
}

/// Physical memory in bytes (Linux: `MemTotal` of /proc/meminfo), read once; `None` if unknown.
fn physical_memory() -> Option<u64> {
    static MEM: std::sync::OnceLock<Option<u64>> = std::sync::OnceLock::new();
    *MEM.get_or_init(|| {
        let info = std::fs::read_to_string("/proc/meminfo").ok()?;
        let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        kib.checked_mul(1024)
    })
}

/// Allocates `n` words set to `fill`, reporting allocation failure as an error. A request
/// larger than the machine's physical memory is refused up front: with overcommit the
/// allocation could succeed and the process be killed while filling it.
///
/// `shape` names the array in the error message; it is called only on failure (formatting
/// it on every allocation cost more than the allocation of a small array).
pub(super) fn alloc_cells(
    n: usize,
    fill: u64,
    shape: impl FnOnce() -> String,
) -> Result<Vec<Cell<u64>>, RtError> {
    let mut v = reserve_cells(n, shape)?;
    v.resize(n, Cell::new(fill));
    Ok(v)
}

/// An empty buffer with room for `n` words (see [`alloc_cells`] for the limits).
pub(super) fn reserve_cells(
    n: usize,
    shape: impl FnOnce() -> String,
) -> Result<Vec<Cell<u64>>, RtError> {
    // Formatted at most once, on the one error returned.
    let mut shape = Some(shape);
    let mut shape = move || shape.take().map(|f| f()).unwrap_or_default();
    if physical_memory().is_some_and(|m| (n as u64).saturating_mul(8) > m) {
        return Err(oom(&shape()));
    }
    charge_check((n as u64).saturating_mul(8), &mut shape)?;
    let mut v: Vec<Cell<u64>> = Vec::new();
    if v.try_reserve_exact(n).is_err() {
        return Err(oom(&shape()));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::array::test_util::*;
    use crate::runtime::array::Array;
    use crate::runtime::ops::Scalar;
    use crate::vocab::Prim;
    use std::rc::Rc;

    #[test]
    fn out_of_memory_shape_is_an_error_not_an_abort() {
        assert_eq!(
            err(Array::zeros(Prim::F64, &[100000, 100000, 100000])),
            "cannot allocate array of shape (100000, 100000, 100000): out of memory"
        );
        assert_eq!(
            err(Array::zeros(Prim::F64, &[i64::MAX, i64::MAX])),
            format!(
                "cannot allocate array of shape ({}, {}): out of memory",
                i64::MAX,
                i64::MAX
            )
        );
        assert_eq!(
            err(Array::full(&[1 << 41], Scalar::F64(1.0))),
            "cannot allocate array of shape (2199023255552,): out of memory"
        );
        assert!(err(Array::arange_i64(i64::MIN, i64::MAX, 1)).contains("out of memory"));
        assert!(err(Array::arange_f64(0.0, 1e300, 1.0)).contains("out of memory"));
    }

    #[test]
    #[allow(unsafe_code)]
    fn lent_storage_is_shared_in_place_and_bad_layouts_are_refused() {
        let mut buf: Vec<u64> = (0..6).collect();
        // Column 1 of a 3x2 row-major matrix: lent from its first element on.
        let ptr = std::ptr::NonNull::new(buf[1..].as_mut_ptr()).unwrap();
        // SAFETY: `buf` outlives every array made here and is not touched meanwhile.
        let data = Rc::new(unsafe { Storage::lend(ptr, 5) });
        let col = Array::over_lent(Prim::I64, &[3], &[2], data.clone()).unwrap();
        assert_eq!(col.to_vec_bits(), vec![1, 3, 5]);
        col.set(&[2], 50).unwrap();
        // A layout reaching past the buffer, negative strides, 0 or 4 axes: refused.
        assert!(Array::over_lent(Prim::I64, &[3], &[3], data.clone()).is_none());
        assert!(Array::over_lent(Prim::I64, &[3], &[-1], data.clone()).is_none());
        assert!(Array::over_lent(Prim::I64, &[], &[], data.clone()).is_none());
        assert!(Array::over_lent(Prim::I64, &[1, 1, 1, 1], &[1, 1, 1, 1], data.clone()).is_none());
        // Lent storage is never taken as an owned buffer.
        let whole = Array::over_lent(Prim::I64, &[5], &[1], data.clone()).unwrap();
        assert!(whole.lent_storage().is_some());
        assert!(whole.take_contiguous_bits().is_err());
        drop((col, data));
        assert_eq!(buf, vec![0, 1, 2, 3, 4, 50]);
    }
}
