//! Runtime helpers that need nothing but their arguments, and the layout probe for array
//! registers. (Helpers that touch the interpreter's state — slow paths, calls into the
//! interpreter, errors — are in `vm::bridge`.)

use super::{math2_from_code, M2_FLOORDIV, M2_MOD, M2_POWF};
use crate::runtime::ops as rops;
use crate::runtime::Array;
use crate::runtime::ArrayRef;
use crate::vocab::MathFn;
use std::rc::Rc;
use std::sync::OnceLock;

/// `H_MATH1`: the scalar math functions, exactly as the interpreter computes them.
pub extern "C" fn math1(code: i64, x: f64) -> f64 {
    match MathFn::ALL.get(code as usize) {
        Some(&f) => rops::math1(f, x),
        None => f64::NAN,
    }
}

/// `H_MATH2`: two-operand float functions and the float operators without an instruction.
pub extern "C" fn math2(code: i64, x: f64, y: f64) -> f64 {
    match code {
        M2_POWF => rops::powf(x, y),
        M2_FLOORDIV => rops::float_floordiv(x, y),
        M2_MOD => rops::float_mod(x, y),
        c => match math2_from_code(c) {
            Some(f) => rops::math2(f, x, y),
            None => f64::NAN,
        },
    }
}

/// How an array register's word (an `Option<Rc<Array>>`) leads to the `Array` and its
/// reference count, as probed on this build: `value` is the byte offset from the word to
/// the `Array`; the strong count is the word at offset 0. `None` if the build lays `Rc`
/// out otherwise — then nothing is compiled and every function is interpreted.
#[derive(Clone, Copy, Debug)]
pub struct RcLayout {
    pub value: i64,
}

pub fn rc_layout() -> Option<RcLayout> {
    static LAYOUT: OnceLock<Option<RcLayout>> = OnceLock::new();
    *LAYOUT.get_or_init(probe_rc_layout)
}

fn probe_rc_layout() -> Option<RcLayout> {
    if std::mem::size_of::<Option<ArrayRef>>() != 8 {
        return None;
    }
    let word_of = |o: &Option<ArrayRef>| {
        // SAFETY: `Option<Rc<Array>>` is one pointer-sized word (checked above) and fully
        // initialized, so reading it as a `usize` reads the pointer's bits (0 for `None`).
        unsafe { std::ptr::read(o as *const Option<ArrayRef> as *const usize) }
    };
    // SAFETY (for the reads below): `word` points at the live `Rc` allocation of `probe`,
    // whose first word (the strong count in std's `repr(C)` `RcInner`) is readable.
    let strong_at = |word: usize| unsafe { std::ptr::read(word as *const usize) };
    let none: Option<ArrayRef> = None;
    let probe: Option<ArrayRef> = Some(Rc::new(Array::from_f64s(&[0.0])));
    let word = word_of(&probe);
    let value = Rc::as_ptr(probe.as_ref()?) as usize;
    if word_of(&none) != 0 || word == 0 || value < word || strong_at(word) != 1 {
        return None;
    }
    let second = probe.clone();
    let counted = strong_at(word) == 2;
    drop(second);
    // The weak count (one while no `Weak` exists) follows: native code's uniqueness test
    // (`Rc::get_mut`'s) reads both words.
    let weak_at = |word: usize| strong_at(word + 8);
    let weak = Rc::downgrade(probe.as_ref()?);
    let weak_counted = weak_at(word) == 2;
    drop(weak);
    let weak_counted = weak_counted && weak_at(word) == 1;
    (counted && weak_counted && strong_at(word) == 1).then_some(RcLayout {
        value: (value - word) as i64,
    })
}

/// `H_RELEASE`: drops the reference an array register's word holds (native code calls it
/// when the count is 1; the word has already been removed from its register).
pub extern "C" fn release(word: u64) {
    if word == 0 {
        return;
    }
    let Some(layout) = rc_layout() else { return };
    let value = (word as i64 + layout.value) as *const Array;
    // SAFETY: `word` was an `Option<Rc<Array>>` in the register file (non-null here), so
    // `value` is what `Rc::into_raw` would give for it; the register gave up its
    // reference (its word was overwritten), so this `from_raw` takes over exactly that one
    // reference and dropping it releases it once (`recycle` drops it, or keeps its
    // header and buffer for the next array when this was the last reference).
    crate::runtime::array::recycle(unsafe { Rc::from_raw(value) });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_registers_have_a_fixed_offset_to_their_array() {
        let l = rc_layout().expect("this build supports native code");
        assert!(l.value > 0 && l.value % 8 == 0);
    }

    #[test]
    fn release_drops_exactly_one_reference() {
        let a: ArrayRef = Rc::new(Array::from_f64s(&[1.0]));
        let keep = a.clone();
        assert_eq!(Rc::strong_count(&keep), 2);
        // Hand the register's reference over as a word, as native code does.
        let word = Rc::into_raw(a) as i64 - rc_layout().unwrap().value;
        release(word as u64);
        assert_eq!(Rc::strong_count(&keep), 1);
    }

    #[test]
    fn math_helpers_compute_what_the_interpreter_does() {
        assert_eq!(math1(crate::abi::math1_code(MathFn::Floor), -1.5), -2.0);
        assert_eq!(math2(M2_FLOORDIV, 7.0, -2.0), -4.0);
        assert_eq!(math2(M2_MOD, -7.0, 3.0), 2.0);
        assert_eq!(math2(M2_POWF, 2.0, 10.0), 1024.0);
        assert!(math1(99, 1.0).is_nan());
        // Every two-operand function reaches the helper by its code, and only those codes do.
        for f in crate::vocab::MathFn2::ALL {
            let code = crate::abi::math2_code(f);
            assert_eq!(math2_from_code(code), Some(f));
            assert_eq!(math2(code, 2.0, 3.0), rops::math2(f, 2.0, 3.0));
        }
        assert_eq!(math2_from_code(-1), None);
        assert!(math2(4, 1.0, 1.0).is_nan());
    }
}
