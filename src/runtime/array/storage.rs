//! [`Storage`], the owner of an array's elements: one buffer of elements at their natural
//! size (1, 4 or 8 bytes: [`Prim::size`]), either owned (allocated fallibly, refused up
//! front when larger than physical memory) or lent by the embedding program for one call.
//!
//! Elements are stored as NumPy stores them (`bool` one byte 0/1, `u8`, `i32`, `f32`,
//! `i64`, `f64` in native byte order); [`Storage::load`] and [`Storage::store`] convert
//! between that and the register form (see [`Prim`]).
//!
//! Invariant: the only `unsafe` of the runtime is here (but for the GEMM call of
//! `linalg.rs`, which only reads arrays and writes a fresh one). A lent buffer is made only through
//! the `unsafe` [`Storage::lend`], whose contract makes [`Storage::words`] sound; `Cells` is
//! private to this file, so no other code can build one. Zero-filled buffers come from the
//! allocator's zeroed memory (`zeroed_cells`).

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use crate::runtime::error::RtError;
use crate::vocab::Prim;

/// The owner of an array's elements: one contiguous buffer of elements of one width.
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

    /// The budget active on the current thread, if any (a worker thread of a parallel
    /// loop runs with its caller's).
    pub fn current() -> Option<Arc<MemoryBudget>> {
        BUDGET.with(|b| b.borrow().clone())
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
        if let Some(b) = &self.budget {
            b.used.fetch_sub(self.owned_bytes(), Ordering::Relaxed);
        }
    }
}

/// The elements of a buffer as cells of their width (1, 4 or 8 bytes).
#[derive(Clone, Copy, Debug)]
pub enum Words<'a> {
    W1(&'a [Cell<u8>]),
    W4(&'a [Cell<u32>]),
    W8(&'a [Cell<u64>]),
}

impl<'a> Words<'a> {
    /// Words `at..at + len`, if they are all here.
    pub(super) fn run(self, at: usize, len: usize) -> Option<Words<'a>> {
        let r = at..at.checked_add(len)?;
        Some(match self {
            Words::W1(w) => Words::W1(w.get(r)?),
            Words::W4(w) => Words::W4(w.get(r)?),
            Words::W8(w) => Words::W8(w.get(r)?),
        })
    }
}

/// An owned buffer, by width.
#[derive(Debug)]
pub enum OwnedWords {
    W1(Vec<Cell<u8>>),
    W4(Vec<Cell<u32>>),
    W8(Vec<Cell<u64>>),
}

impl OwnedWords {
    /// Bytes of the allocation (its capacity).
    fn bytes(&self) -> u64 {
        (match self {
            OwnedWords::W1(v) => v.capacity(),
            OwnedWords::W4(v) => v.capacity() * 4,
            OwnedWords::W8(v) => v.capacity() * 8,
        }) as u64
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn len(&self) -> usize {
        match self {
            OwnedWords::W1(v) => v.len(),
            OwnedWords::W4(v) => v.len(),
            OwnedWords::W8(v) => v.len(),
        }
    }

    /// `bits` (register forms of `elem`) packed at `elem`'s width; 8-byte kinds reuse the
    /// allocation.
    pub fn pack(elem: Prim, bits: Vec<u64>) -> OwnedWords {
        match elem.size() {
            1 => OwnedWords::W1(bits.into_iter().map(|b| Cell::new(to_raw(elem, b) as u8)).collect()),
            4 => OwnedWords::W4(bits.into_iter().map(|b| Cell::new(to_raw(elem, b) as u32)).collect()),
            _ => OwnedWords::W8(bits.into_iter().map(Cell::new).collect()),
        }
    }
}

#[derive(Debug)]
enum Cells {
    Owned(OwnedWords),
    /// Elements of the embedding program, lent for one call (see [`Storage::lend`] and
    /// [`Storage::lend_read_only`]).
    Lent {
        ptr: std::ptr::NonNull<u8>,
        /// Elements (of `width` bytes each).
        len: usize,
        width: usize,
        /// Lent by shared reference: nk must not write (see [`Storage::lend_read_only`]).
        read_only: bool,
    },
}

/// The stored bits of register form `bits` of kind `elem` (the low `elem.size()` bytes
/// are the element): `f32` as its own bits, `bool` as 0/1, integers keep their low bits.
#[inline]
pub fn to_raw(elem: Prim, bits: u64) -> u64 {
    match elem {
        Prim::F32 => (f64::from_bits(bits) as f32).to_bits() as u64,
        Prim::Bool => (bits != 0) as u64,
        _ => bits,
    }
}

/// The register form of stored bits `raw` (zero-extended from the element's width).
#[inline]
pub fn from_raw(elem: Prim, raw: u64) -> u64 {
    match elem {
        Prim::F32 => (f32::from_bits(raw as u32) as f64).to_bits(),
        Prim::I32 => raw as u32 as i32 as i64 as u64,
        _ => raw,
    }
}

impl Storage {
    /// Storage over `len` elements of `elem`'s width at `ptr` that belong to someone else
    /// (an `ndarray` the embedding program passes by `&mut`): nk reads and writes them in
    /// place.
    ///
    /// # Safety
    /// `ptr` must be aligned to `elem.size()` and valid for reads and writes of `len`
    /// elements of `elem.size()` bytes, every one of which holds a valid element (`bool`: 0
    /// or 1), and nothing else may access them, for as long as this `Storage` lives. (The
    /// engine lends memory only for the duration of one call and checks that the storage is
    /// dropped before it returns.)
    #[allow(unsafe_code)]
    pub unsafe fn lend(ptr: std::ptr::NonNull<u8>, len: usize, elem: Prim) -> Storage {
        Storage {
            cells: Cells::Lent {
                ptr,
                len,
                width: elem.size(),
                read_only: false,
            },
            budget: None,
        }
    }

    /// Storage over `len` elements of `elem`'s width at `ptr` that the embedding program
    /// lends *for reading* (an `ndarray` passed by `&` or as an `ArrayView`): nk reads them
    /// in place and must never write them. [`Storage::is_read_only`] says so, and the engine
    /// lends such memory only to functions that write no array
    /// (`ir::effects::writes_arrays`), replacing it by a copy otherwise.
    ///
    /// # Safety
    /// As [`Storage::lend`] but for reads only: nothing may write the elements for as long
    /// as this `Storage` lives; and nothing may write through this `Storage` (no
    /// [`Storage::store`], no `Cell::set` on its [`Storage::words`]) — the memory may be
    /// behind a shared reference.
    #[allow(unsafe_code)]
    pub unsafe fn lend_read_only(ptr: std::ptr::NonNull<u8>, len: usize, elem: Prim) -> Storage {
        Storage {
            cells: Cells::Lent {
                ptr,
                len,
                width: elem.size(),
                read_only: true,
            },
            budget: None,
        }
    }

    /// All elements of the buffer, in memory order, as cells of their width.
    #[allow(unsafe_code)]
    pub fn words(&self) -> Words<'_> {
        match &self.cells {
            Cells::Owned(OwnedWords::W1(v)) => Words::W1(v),
            Cells::Owned(OwnedWords::W4(v)) => Words::W4(v),
            Cells::Owned(OwnedWords::W8(v)) => Words::W8(v),
            // SAFETY: `lend`'s contract: `len` elements of `width` bytes at `ptr`, aligned
            // to `width`, are valid and ours alone while `self` lives; `Cell<uN>` has the
            // layout of `uN`, and all access is through `Cell`, so shared references to
            // the slice are sound (for read-only loans, `lend_read_only`'s contract adds
            // that no `Cell` of it is ever set).
            Cells::Lent {
                ptr, len, width, ..
            } => unsafe {
                match width {
                    1 => Words::W1(std::slice::from_raw_parts(ptr.as_ptr().cast(), *len)),
                    4 => Words::W4(std::slice::from_raw_parts(ptr.as_ptr().cast(), *len)),
                    _ => Words::W8(std::slice::from_raw_parts(ptr.as_ptr().cast(), *len)),
                }
            },
        }
    }

    /// The elements as 64-bit cells, when they are 8 bytes wide (`i64`, `f64`): the fast
    /// path of kernels, whose register form is the stored word.
    #[inline]
    pub fn cells64(&self) -> Option<&[Cell<u64>]> {
        match self.words() {
            Words::W8(w) => Some(w),
            _ => None,
        }
    }

    /// The element at `pos` in register form, read as kind `elem` (whose width is the
    /// buffer's). Panics if `pos` is out of range (callers index in-bounds positions).
    #[inline]
    pub fn load(&self, elem: Prim, pos: usize) -> u64 {
        match self.words() {
            Words::W8(w) => w[pos].get(),
            Words::W4(w) => from_raw(elem, w[pos].get() as u64),
            Words::W1(w) => from_raw(elem, w[pos].get() as u64),
        }
    }

    /// Stores register form `bits` of kind `elem` at `pos` (see [`Storage::load`]).
    #[inline]
    pub fn store(&self, elem: Prim, pos: usize, bits: u64) {
        match self.words() {
            Words::W8(w) => w[pos].set(bits),
            Words::W4(w) => w[pos].set(to_raw(elem, bits) as u32),
            Words::W1(w) => w[pos].set(to_raw(elem, bits) as u8),
        }
    }

    /// Number of elements in the buffer.
    pub fn len(&self) -> usize {
        match self.words() {
            Words::W1(w) => w.len(),
            Words::W4(w) => w.len(),
            Words::W8(w) => w.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Bytes of one element.
    pub fn width(&self) -> usize {
        match self.words() {
            Words::W1(_) => 1,
            Words::W4(_) => 4,
            Words::W8(_) => 8,
        }
    }
    /// Address of the first element (for native code; reading it needs the owner kept
    /// alive).
    pub fn as_ptr(&self) -> *const u8 {
        match self.words() {
            Words::W1(w) => w.as_ptr().cast(),
            Words::W4(w) => w.as_ptr().cast(),
            Words::W8(w) => w.as_ptr().cast(),
        }
    }
    /// Another handle to these elements that owns nothing (a loan, as writable as this
    /// one): a worker thread of a parallel loop makes views through it without touching
    /// this storage's reference count, which is not atomic.
    ///
    /// # Safety
    /// The caller keeps `self` alive, and its elements where they are, for as long as the
    /// handle lives; threads that write an element through handles of one storage must
    /// not read or write the same element at the same time (distinct elements are fine).
    #[allow(unsafe_code)]
    pub unsafe fn unowned(&self) -> Storage {
        let width = self.width();
        // A buffer's address is never null (an empty one's is dangling but aligned).
        let ptr = std::ptr::NonNull::new(self.as_ptr() as *mut u8).unwrap_or(std::ptr::NonNull::dangling());
        Storage {
            cells: Cells::Lent {
                ptr,
                len: self.len(),
                width,
                read_only: self.is_read_only(),
            },
            budget: None,
        }
    }

    /// Whether the elements are lent by the embedding program.
    pub fn is_lent(&self) -> bool {
        matches!(self.cells, Cells::Lent { .. })
    }
    /// Whether the elements are lent for reading only ([`Storage::lend_read_only`]).
    pub fn is_read_only(&self) -> bool {
        matches!(
            self.cells,
            Cells::Lent {
                read_only: true,
                ..
            }
        )
    }

    fn owned_bytes(&self) -> u64 {
        match &self.cells {
            Cells::Owned(w) => w.bytes(),
            Cells::Lent { .. } => 0,
        }
    }

    /// Storage owning `words` (counted against the active memory budget, if any).
    pub(super) fn owned(words: OwnedWords) -> Storage {
        let budget = BUDGET.with(|b| b.borrow().clone());
        if let Some(b) = &budget {
            let bytes = words.bytes();
            let used = b.used.fetch_add(bytes, Ordering::Relaxed) + bytes;
            if used > b.limit {
                b.exceeded.store(true, Ordering::Relaxed);
                b.stop.store(true, Ordering::Relaxed);
            }
        }
        debug_assert!(words.len() <= super::MAX_ELEMENTS);
        Storage {
            cells: Cells::Owned(words),
            budget,
        }
    }

    /// An owned, empty buffer that counts against no budget: the placeholder storage of
    /// the array headers [`super::pool`] keeps.
    pub(super) fn placeholder() -> Storage {
        Storage {
            cells: Cells::Owned(OwnedWords::W8(Vec::new())),
            budget: None,
        }
    }

    /// For [`super::pool`]: the width and capacity (in elements) of an owned buffer;
    /// `None` for lent elements.
    pub(super) fn spare(&self) -> Option<(usize, usize)> {
        match &self.cells {
            Cells::Owned(OwnedWords::W1(v)) => Some((1, v.capacity())),
            Cells::Owned(OwnedWords::W4(v)) => Some((4, v.capacity())),
            Cells::Owned(OwnedWords::W8(v)) => Some((8, v.capacity())),
            Cells::Lent { .. } => None,
        }
    }

    /// For [`super::pool`]: the buffer counts against no budget from now on (its memory
    /// is the pool's until it is refilled).
    pub(super) fn release_budget(&mut self) {
        if let Some(b) = self.budget.take() {
            b.used.fetch_sub(self.owned_bytes(), Ordering::Relaxed);
        }
    }

    /// Elements the buffer has room for: its capacity if owned, else its length.
    pub(super) fn capacity(&self) -> usize {
        match &self.cells {
            Cells::Owned(OwnedWords::W1(v)) => v.capacity(),
            Cells::Owned(OwnedWords::W4(v)) => v.capacity(),
            Cells::Owned(OwnedWords::W8(v)) => v.capacity(),
            Cells::Lent { len, .. } => *len,
        }
    }

    /// For [`super::pool`]: a spare owned buffer (see [`Storage::release_budget`]) emptied,
    /// `fill` writes its elements, and it counts against the active budget again, as
    /// [`Storage::owned`] counts a new one.
    pub(super) fn refill(&mut self, fill: impl FnOnce(&mut OwnedWords)) {
        let Cells::Owned(w) = &mut self.cells else {
            debug_assert!(false, "refill of lent storage");
            return;
        };
        match w {
            OwnedWords::W1(v) => v.clear(),
            OwnedWords::W4(v) => v.clear(),
            OwnedWords::W8(v) => v.clear(),
        }
        fill(w);
        debug_assert!(w.len() <= super::MAX_ELEMENTS);
        let bytes = w.bytes();
        self.budget = BUDGET.with(|b| b.borrow().clone());
        if let Some(b) = &self.budget {
            let used = b.used.fetch_add(bytes, Ordering::Relaxed) + bytes;
            if used > b.limit {
                b.exceeded.store(true, Ordering::Relaxed);
                b.stop.store(true, Ordering::Relaxed);
            }
        }
    }

    /// [`Storage::refill`] with a copy of `run`, words of this buffer's width; `None`
    /// (the buffer left as it was) for another width.
    pub(super) fn refill_from(&mut self, run: Words<'_>) -> Option<()> {
        let mut same = true;
        self.refill(|w| match (w, run) {
            (OwnedWords::W1(v), Words::W1(r)) => v.extend_from_slice(r),
            (OwnedWords::W4(v), Words::W4(r)) => v.extend_from_slice(r),
            (OwnedWords::W8(v), Words::W8(r)) => v.extend_from_slice(r),
            _ => same = false,
        });
        same.then_some(())
    }

    /// The owned elements (no longer counted against a budget), or the storage back
    /// unchanged when its elements are lent.
    pub(super) fn into_owned(mut self) -> Result<OwnedWords, Storage> {
        match std::mem::replace(&mut self.cells, Cells::Owned(OwnedWords::W8(Vec::new()))) {
            Cells::Owned(v) => {
                if let Some(b) = self.budget.take() {
                    b.used.fetch_sub(v.bytes(), Ordering::Relaxed);
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

/// Allocates `n` elements of `elem` set to register form `fill`, reporting allocation
/// failure as an error. A request larger than the machine's physical memory is refused up
/// front: with overcommit the allocation could succeed and the process be killed while
/// filling it.
///
/// `shape` names the array in the error message; it is called only on failure (formatting
/// it on every allocation cost more than the allocation of a small array).
pub(super) fn alloc_words(
    elem: Prim,
    n: usize,
    fill: u64,
    shape: impl FnOnce() -> String,
) -> Result<OwnedWords, RtError> {
    let mut shape = Some(shape);
    let mut shape = move || shape.take().map(|f| f()).unwrap_or_default();
    check_alloc(n, elem.size(), &mut shape)?;
    let raw = to_raw(elem, fill);
    if raw == 0 {
        let zeroed = match elem.size() {
            1 => zeroed_cells::<u8>(n).map(OwnedWords::W1),
            4 => zeroed_cells::<u32>(n).map(OwnedWords::W4),
            _ => zeroed_cells::<u64>(n).map(OwnedWords::W8),
        };
        return zeroed.ok_or_else(|| oom(&shape()));
    }
    let Some(mut out) = try_reserve(elem, n) else {
        return Err(oom(&shape()));
    };
    match &mut out {
        OwnedWords::W1(v) => v.resize(n, Cell::new(raw as u8)),
        OwnedWords::W4(v) => v.resize(n, Cell::new(raw as u32)),
        OwnedWords::W8(v) => v.resize(n, Cell::new(raw)),
    }
    Ok(out)
}

/// An empty `u64` buffer with room for `n` register-form words (to be packed with
/// [`OwnedWords::pack`]); see [`alloc_words`] for the limits (counted at `elem`'s width).
pub(super) fn reserve_bits(
    elem: Prim,
    n: usize,
    shape: impl FnOnce() -> String,
) -> Result<Vec<u64>, RtError> {
    let mut shape = Some(shape);
    let mut shape = move || shape.take().map(|f| f()).unwrap_or_default();
    check_alloc(n, elem.size(), &mut shape)?;
    let mut v: Vec<u64> = Vec::new();
    if v.try_reserve_exact(n).is_err() {
        return Err(oom(&shape()));
    }
    Ok(v)
}

/// Refuses `n` elements of `width` bytes beyond physical memory or the active budget.
fn check_alloc(n: usize, width: usize, shape: impl FnOnce() -> String) -> Result<(), RtError> {
    // Formatted at most once, on the one error returned.
    let mut shape = Some(shape);
    let mut shape = move || shape.take().map(|f| f()).unwrap_or_default();
    let bytes = (n as u64).saturating_mul(width as u64);
    if n > super::MAX_ELEMENTS || physical_memory().is_some_and(|m| bytes > m) {
        return Err(oom(&shape()));
    }
    charge_check(bytes, &mut shape)
}

/// The unsigned integers an element is stored as: zero bits are a valid value of each.
trait ZeroBits: Copy {}
impl ZeroBits for u8 {}
impl ZeroBits for u32 {}
impl ZeroBits for u64 {}

/// `n` zero elements, or `None` if the allocation fails. From the allocator's zeroed
/// memory (`calloc`): pages fresh from the kernel are not written at all, and reused
/// memory is cleared by libc's `memset` (wide stores) instead of `Vec::resize`'s loop of
/// 16-byte stores (zeroing pairwise's 18 MB result was 12% of its call).
#[allow(unsafe_code)]
fn zeroed_cells<T: ZeroBits>(n: usize) -> Option<Vec<Cell<T>>> {
    if n == 0 {
        return Some(Vec::new());
    }
    let layout = std::alloc::Layout::array::<Cell<T>>(n).ok()?;
    // SAFETY: `layout` has a non-zero size (n > 0 and `T` is an integer, not zero-sized).
    let p = unsafe { std::alloc::alloc_zeroed(layout) }.cast::<Cell<T>>();
    if p.is_null() {
        return None;
    }
    // SAFETY: `p` comes from the global allocator with the layout of `[Cell<T>; n]` (so
    // capacity `n`), and its `n` elements are initialized: all-zero bits are a valid `T`
    // (`ZeroBits`), and `Cell<T>` has the layout of `T`.
    Some(unsafe { Vec::from_raw_parts(p, n, n) })
}

/// An empty buffer of `elem`'s width with room for `n` elements, or `None`.
fn try_reserve(elem: Prim, n: usize) -> Option<OwnedWords> {
    fn r<T>(n: usize) -> Option<Vec<Cell<T>>> {
        let mut v = Vec::new();
        v.try_reserve_exact(n).ok()?;
        Some(v)
    }
    Some(match elem.size() {
        1 => OwnedWords::W1(r(n)?),
        4 => OwnedWords::W4(r(n)?),
        _ => OwnedWords::W8(r(n)?),
    })
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
    fn zero_filled_buffers_are_zero_at_every_width_even_in_reused_memory() {
        for elem in [Prim::Bool, Prim::U8, Prim::I32, Prim::F32, Prim::I64, Prim::F64] {
            for n in [0, 1, 7, 100_000] {
                // Memory freed dirty, likely handed back for the next allocation.
                let dirty = alloc_words(elem, n, 1, String::new).unwrap();
                assert_eq!(dirty.len(), n);
                drop(dirty);
                let words = alloc_words(elem, n, 0, String::new).unwrap();
                let zero = match &words {
                    OwnedWords::W1(v) => v.iter().all(|c| c.get() == 0),
                    OwnedWords::W4(v) => v.iter().all(|c| c.get() == 0),
                    OwnedWords::W8(v) => v.iter().all(|c| c.get() == 0),
                };
                assert!(zero && words.len() == n, "{elem:?} x {n}");
                assert_eq!(words.bytes(), (n * elem.size()) as u64);
            }
        }
        // `-0.0` is not all-zero bits: filled, not taken from zeroed memory.
        let neg = alloc_words(Prim::F64, 3, (-0.0f64).to_bits(), String::new).unwrap();
        let OwnedWords::W8(v) = neg else { panic!() };
        assert!(v.iter().all(|c| c.get() == (-0.0f64).to_bits()));
    }

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
        let ptr = std::ptr::NonNull::new(buf[1..].as_mut_ptr().cast::<u8>()).unwrap();
        // SAFETY: `buf` outlives every array made here and is not touched meanwhile.
        let data = Rc::new(unsafe { Storage::lend(ptr, 5, Prim::I64) });
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
        assert!(whole.take_contiguous().is_err());
        drop((col, data));
        assert_eq!(buf, vec![0, 1, 2, 3, 4, 50]);
    }

    #[test]
    fn elements_take_their_natural_size_and_convert_at_the_boundary() {
        let n = 1000;
        for (p, width) in [
            (Prim::Bool, 1),
            (Prim::U8, 1),
            (Prim::I32, 4),
            (Prim::F32, 4),
            (Prim::I64, 8),
            (Prim::F64, 8),
        ] {
            let a = Array::zeros(p, &[n]).unwrap();
            assert_eq!(a.storage().width(), width, "{p:?}");
            assert_eq!(a.storage().len(), n as usize);
        }
        // Register forms in, stored forms kept, register forms out.
        let u = Array::from_vec(Prim::U8, &[3], vec![1, 255, 300]);
        assert_eq!(u.to_vec_bits(), vec![1, 255, 44], "u8 keeps the low byte");
        let i = Array::from_vec(Prim::I32, &[2], vec![(-5i64) as u64, 1 << 31]);
        assert_eq!(
            i.to_vec_bits(),
            vec![(-5i64) as u64, (i32::MIN as i64) as u64],
            "i32 sign-extends"
        );
        let f = Array::from_vec(Prim::F32, &[1], vec![0.1f64.to_bits()]);
        assert_eq!(f.to_vec_bits(), vec![(0.1f32 as f64).to_bits()], "f32 rounds");
        let b = Array::from_vec(Prim::Bool, &[2], vec![0, 7]);
        assert_eq!(b.to_vec_bits(), vec![0, 1]);
        // Strided views of narrow elements read and write the right bytes.
        let m = Array::from_vec(Prim::U8, &[2, 3], (0..6).collect());
        let col = m.transpose();
        assert_eq!(col.to_vec_bits(), vec![0, 3, 1, 4, 2, 5]);
        col.set(&[2, 1], 250).unwrap();
        assert_eq!(m.to_vec_bits(), vec![0, 1, 2, 3, 4, 250]);
    }
}
