//! Runtime helpers that need nothing but their arguments, and the layout probe for array
//! registers. (Helpers that touch the interpreter's state — slow paths, calls into the
//! interpreter, errors — are in `interp::native`.)

use super::codegen::math2_from_code;
use super::abi::{M2_FLOORDIV, M2_MOD, M2_POWF};
use crate::interp::ARef;
use crate::ir::ops::MathFn;
use crate::runtime::ops as rops;
use crate::runtime::Array;
use std::rc::Rc;

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
        M2_POWF => x.powf(y),
        M2_FLOORDIV => rops::float_floordiv(x, y),
        M2_MOD => rops::float_mod(x, y),
        c => match math2_from_code(c) {
            Some(f) => rops::math2(f, x, y),
            None => f64::NAN,
        },
    }
}

/// The byte offset from the word an array register holds (an `Option<Rc<Array>>`) to the
/// `Array` it points at, or `None` if this build lays `Rc` out in a way native code cannot
/// use (then nothing is compiled and every function is interpreted).
pub fn array_word_offset() -> Option<i64> {
    if std::mem::size_of::<Option<ARef>>() != 8 {
        return None;
    }
    let none: Option<ARef> = None;
    let probe: Option<ARef> = Some(Rc::new(Array::from_f64s(&[0.0])));
    // SAFETY: `Option<Rc<Array>>` is one pointer-sized word (checked above) and fully
    // initialized, so reading it as a `usize` reads the pointer's bits (0 for `None`).
    let (none_word, word) = unsafe {
        (
            std::ptr::read(&none as *const Option<ARef> as *const usize),
            std::ptr::read(&probe as *const Option<ARef> as *const usize),
        )
    };
    let value = Rc::as_ptr(probe.as_ref()?) as usize;
    if none_word != 0 || value < word {
        return None;
    }
    Some((value - word) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_registers_have_a_fixed_offset_to_their_array() {
        let off = array_word_offset().expect("this build supports native code");
        assert!(off > 0 && off % 8 == 0);
    }

    #[test]
    fn math_helpers_compute_what_the_interpreter_does() {
        assert_eq!(math1(math1_index(MathFn::Floor), -1.5), -2.0);
        assert_eq!(math2(M2_FLOORDIV, 7.0, -2.0), -4.0);
        assert_eq!(math2(M2_MOD, -7.0, 3.0), 2.0);
        assert_eq!(math2(M2_POWF, 2.0, 10.0), 1024.0);
        assert!(math1(99, 1.0).is_nan());
    }

    fn math1_index(f: MathFn) -> i64 {
        MathFn::ALL.iter().position(|&g| g == f).unwrap() as i64
    }
}
