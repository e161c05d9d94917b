//! Spare array headers and small buffers, per thread, so that a program making and dropping
//! many small arrays (mergesort's `copy(arr[:mid])` at every level, views in a loop) does
//! not call the allocator four times for each (the `Rc<Array>` header, the `Rc<Storage>`,
//! its buffer, and the view it was copied from).
//!
//! - [`recycle`] takes a reference that is being dropped. If it was the array's last one,
//!   the header is kept (its storage replaced by a shared empty placeholder), and if the
//!   header held its storage's last reference and the buffer is owned and small, the storage
//!   is kept too, with its buffer, by element width and capacity.
//! - [`new_ref`] puts an array into a kept header ([`Rc::new`] when there is none);
//!   [`take_array`] hands out a kept array whose storage has room for `n` elements, which its
//!   caller refills ([`Storage::refill`]) and lays out.
//!
//! Only unique `Rc`s (`Rc::get_mut`: no other strong or weak reference) are kept, so
//! nothing that can be reached from anywhere else is ever reused: an array that escapes
//! (returned, stored, printed, lent as a view) keeps its own header and storage. Kept
//! memory counts against no memory budget, and the pools are bounded (at most
//! [`MAX_HEADERS`] headers and [`PER_CLASS`] storages per width and class, buffers below
//! 2^[`CLASSES`] elements), so at most a few MiB per thread are held; a thread's pool is
//! freed when the thread ends. All of it is safe code.

use std::cell::RefCell;
use std::rc::Rc;

use super::{Array, ArrayRef, Storage};
use crate::vocab::Prim;

/// Headers kept at most.
const MAX_HEADERS: usize = 64;
/// Buffers of capacity below 2^CLASSES elements are kept, by `floor(log2(capacity))`.
const CLASSES: usize = 12;
/// Storages kept at most per width and class.
const PER_CLASS: usize = 16;

struct Pool {
    /// Unique headers whose storage is `placeholder` (empty arrays).
    headers: Vec<ArrayRef>,
    placeholder: Option<Rc<Storage>>,
    /// Unique headers holding the only reference to their storage, an owned buffer, by
    /// width (1, 4, 8 bytes: index 0, 1, 2) and class of capacity.
    arrays: [[Vec<ArrayRef>; CLASSES]; 3],
}

thread_local! {
    static POOL: RefCell<Pool> = const {
        RefCell::new(Pool {
            headers: Vec::new(),
            placeholder: None,
            arrays: [const { [const { Vec::new() }; CLASSES] }; 3],
        })
    };
}

fn width_index(width: usize) -> usize {
    match width {
        1 => 0,
        4 => 1,
        _ => 2,
    }
}

/// `floor(log2(n))` for `n >= 1`.
fn class(n: usize) -> usize {
    (usize::BITS - 1 - n.leading_zeros()) as usize
}

/// Drops `a`, keeping its header (and its storage) for reuse when this was the last
/// reference (see the module comment).
pub fn recycle(mut a: ArrayRef) {
    if Rc::get_mut(&mut a).is_none() {
        return;
    }
    // Inside, whatever is not kept is dropped while the pool is borrowed: dropping an
    // array or a storage never reaches the pool.
    let _ = POOL.try_with(move |p| {
        let Ok(mut p) = p.try_borrow_mut() else {
            return;
        };
        let p = &mut *p;
        let Some(arr) = Rc::get_mut(&mut a) else {
            return;
        };
        if let Some(st) = Rc::get_mut(&mut arr.data) {
            if let Some((width, cap)) = st.spare() {
                if cap > 0 && class(cap) < CLASSES {
                    let list = &mut p.arrays[width_index(width)][class(cap)];
                    if list.len() < PER_CLASS {
                        st.release_budget();
                        list.push(a);
                        return;
                    }
                }
            }
        }
        if p.headers.len() >= MAX_HEADERS {
            return;
        }
        let placeholder = p
            .placeholder
            .get_or_insert_with(|| Rc::new(Storage::placeholder()))
            .clone();
        // An empty array over the placeholder: a valid header that holds no memory (the
        // old storage reference is dropped here).
        arr.data = placeholder;
        arr.set_layout(Prim::F64, 1, [0, 1, 1], [1, 0, 0], 0);
        p.headers.push(a);
    });
}

/// `a` in a kept header, else in a new one.
pub fn new_ref(a: Array) -> ArrayRef {
    let spare = POOL
        .try_with(|p| p.try_borrow_mut().ok().and_then(|mut p| p.headers.pop()))
        .ok()
        .flatten();
    match spare {
        Some(mut h) => match Rc::get_mut(&mut h) {
            Some(slot) => {
                // Drops the placeholder reference of the kept header.
                *slot = a;
                h
            }
            None => Rc::new(a),
        },
        None => Rc::new(a),
    }
}

/// A kept array whose storage holds `width`-byte elements with room for `n >= 1`
/// elements, header and storage unique, for its caller to refill and lay out; `None` when
/// there is none.
pub(super) fn take_array(width: usize, n: usize) -> Option<ArrayRef> {
    if n == 0 {
        return None;
    }
    let c = class(n);
    if c >= CLASSES {
        return None;
    }
    POOL.try_with(|p| {
        let mut p = p.try_borrow_mut().ok()?;
        let lists = &mut p.arrays[width_index(width)];
        // The class of `n` when its last array is large enough, else the next one up
        // (whose every capacity is at least 2^(c+1) > n).
        if lists[c].last().is_some_and(|a| a.data.capacity() >= n) {
            return lists[c].pop();
        }
        lists.get_mut(c + 1)?.pop()
    })
    .ok()
    .flatten()
}

/// `copy` of elements `lo..lo + len` (`len >= 1`) of the 1-D, unit-stride array `a` into
/// a kept array, its words copied as they are (a copy keeps the element type); `None`
/// (nothing taken) when none has room or the run is not in `a`'s storage.
pub(super) fn copy_run(a: &Array, lo: usize, len: usize) -> Option<ArrayRef> {
    let at = a.offset.checked_add(lo)?;
    let run = a.data.words().run(at, len)?;
    let mut h = take_array(a.elem.size(), len)?;
    let arr = Rc::get_mut(&mut h)?;
    Rc::get_mut(&mut arr.data)?.refill_from(run)?;
    arr.set_layout(a.elem, 1, [len, 1, 1], [1, 0, 0], 0);
    Some(h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::array::test_util::*;
    use crate::runtime::array::Index;
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;

    fn addr(a: &ArrayRef) -> *const Array {
        Rc::as_ptr(a)
    }

    #[test]
    fn a_dropped_copy_is_reused_with_its_buffer_and_the_new_copy_is_exact() {
        let src = Rc::new(f(&[1.0, 2.0, 3.0, 4.0, 5.0]));
        let c = src.copy_ref();
        let (header, buffer) = (addr(&c), c.storage().as_ptr());
        recycle(c);
        // Four elements fit the kept five-element buffer (same class).
        let part = src.slice(&[Index::Range(Some(1), None)]).unwrap();
        let d = part.copy_ref();
        assert_eq!((addr(&d), d.storage().as_ptr()), (header, buffer));
        assert_eq!(d.to_vec_bits(), part.to_vec_bits());
        assert_eq!((d.shape(), d.strides(), d.storage().len()), (&[4][..], &[1][..], 4));
        d.set(&[0], 9f64.to_bits()).unwrap();
        assert_eq!(src.to_vec_bits()[1], 2f64.to_bits(), "the source is not shared");
    }

    #[test]
    fn an_array_still_referenced_elsewhere_is_never_reused() {
        let src = Rc::new(i(&[1, 2, 3]));
        let c = src.copy_ref();
        let keep = c.clone();
        recycle(c);
        let d = src.copy_ref();
        assert_ne!(addr(&d), addr(&keep));
        assert_ne!(d.storage().as_ptr(), keep.storage().as_ptr());
        d.set(&[0], 7).unwrap();
        assert_eq!(keep.to_vec_bits(), vec![1, 2, 3]);
        // A view keeps the storage of its dropped array: only the header is kept.
        let c = src.copy_ref();
        let view = Rc::new(c.slice(&[Index::Range(Some(1), None)]).unwrap());
        let buffer = c.storage().as_ptr();
        recycle(c);
        let d = src.copy_ref();
        assert_ne!(d.storage().as_ptr(), buffer);
        d.set(&[1], 70).unwrap();
        assert_eq!(view.to_vec_bits(), vec![2, 3]);
        // A kept header holds the placeholder, not the storage it had.
        let c = src.copy_ref();
        let v = Rc::new(c.slice(&[Index::Range(Some(1), None)]).unwrap());
        let view_header = addr(&v);
        recycle(v);
        assert_eq!(Rc::strong_count(c.storage()), 1);
        let again = new_ref(c.slice(&[Index::Range(None, Some(2))]).unwrap());
        assert_eq!(addr(&again), view_header);
        assert_eq!(again.to_vec_bits(), vec![1, 2]);
        assert!(again.shares_storage(&c));
    }

    #[test]
    fn kept_buffers_count_against_no_budget_and_reused_ones_count_again() {
        let stop = Arc::new(AtomicBool::new(false));
        let budget = crate::runtime::array::MemoryBudget::new(1 << 20, stop);
        budget.run(|| {
            let src = Rc::new(i(&[1, 2, 3, 4]));
            let before = budget.used();
            let c = src.copy_ref();
            let held = budget.used() - before;
            assert!(held >= 32, "{held}");
            recycle(c);
            assert_eq!(budget.used(), before);
            let d = src.copy_ref();
            assert_eq!(budget.used() - before, held);
            drop(d);
            assert_eq!(budget.used(), before);
        });
    }

    #[test]
    fn a_copy_of_a_1d_range_is_made_in_a_kept_array_holding_exactly_the_range() {
        use crate::runtime::array::FastView;
        for p in [Prim::I64, Prim::U8, Prim::F32, Prim::Bool] {
            let base = Rc::new(i(&[5, 0, 7, 1, 9, 2, 4]).astype(p));
            // A source with an offset into its storage: elements 1.. of `base`.
            let src = Rc::new(base.slice(&[Index::Range(Some(1), None)]).unwrap());
            let spare = base.copy_ref();
            let header = addr(&spare);
            recycle(spare);
            let ranges = [
                (Some(1), Some(4)),
                (None, Some(-1)),
                (Some(-3), None),
                (Some(2), Some(99)),
                (None, None),
                (Some(4), Some(2)),
            ];
            for (k, (lo, hi)) in ranges.into_iter().enumerate() {
                let want = src.slice(&[Index::Range(lo, hi)]).unwrap();
                let c = src.copy_of_view(FastView::Range(lo, hi)).unwrap();
                if k == 0 {
                    assert_eq!(addr(&c), header, "{p:?}: the kept array is reused");
                }
                assert_eq!(c.to_vec_bits(), want.to_vec_bits(), "{p:?} {lo:?}:{hi:?}");
                assert_eq!((c.elem(), c.shape(), c.strides()), (p, want.shape(), &[1][..]));
                assert!(!c.shares_storage(&src));
                c.set(&[0], 1).ok();
                assert_eq!(src.to_vec_bits(), base.to_vec_bits()[1..], "the source is unchanged");
                recycle(c);
            }
        }
    }

    #[test]
    fn lent_elements_are_never_kept() {
        let mut buf = [1u64, 2, 3];
        let ptr = std::ptr::NonNull::new(buf.as_mut_ptr().cast::<u8>()).unwrap();
        #[allow(unsafe_code)]
        // SAFETY: `buf` outlives the storage and is not touched while it lives.
        let data = Rc::new(unsafe { Storage::lend(ptr, 3, Prim::I64) });
        let a = Rc::new(Array::over_lent(Prim::I64, &[3], &[1], data).unwrap());
        let weak = a.lent_storage().unwrap();
        recycle(a);
        assert!(weak.upgrade().is_none(), "the loan ended");
        assert_eq!(buf, [1, 2, 3]);
    }
}
