//! The `print` form of an array (nested lists, `[[1, 2], [3, 4]]`) and its `Debug` form.
//!
//! Invariant: walks only in-bounds positions (shape and strides from the offset) and prints
//! each element with the scalar formatter of [`crate::runtime::format`], so an array prints
//! its elements exactly as the scalars would.

use std::fmt;

use super::Array;
use crate::runtime::format::{format_scalar, format_shape};
use crate::runtime::ops::Scalar;

impl Array {
    /// The `print` form: nested lists, `[1.0, 2.5]`, `[[1, 2], [3, 4]]`, `[]`, `[[], []]`.
    pub fn format(&self) -> String {
        let mut out = String::new();
        self.format_axis(0, self.offset as isize, &mut out);
        out
    }

    fn format_axis(&self, axis: usize, base: isize, out: &mut String) {
        out.push('[');
        for i in 0..self.shape[axis] {
            if i > 0 {
                out.push_str(", ");
            }
            let pos = base + i as isize * self.strides[axis];
            if axis + 1 == self.ndim {
                let bits = self.data.load(self.elem, pos as usize);
                out.push_str(&format_scalar(Scalar::from_bits(self.elem, bits)));
            } else {
                self.format_axis(axis + 1, pos, out);
            }
        }
        out.push(']');
    }
}

impl fmt::Debug for Array {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Array({}, shape {}",
            self.elem.name(),
            format_shape(self.shape())
        )?;
        if self.size() <= 64 {
            write!(f, ", {})", self.format())
        } else {
            write!(
                f,
                ", strides {}, offset {}, storage of {})",
                format_shape(self.strides()),
                self.offset,
                self.data.len()
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::array::test_util::*;
    use crate::vocab::Prim;

    #[test]
    fn format_nested_lists() {
        assert_eq!(f(&[1.0, 2.5, 3.0]).format(), "[1.0, 2.5, 3.0]");
        assert_eq!(iota2(2, 2).format(), "[[0, 1], [2, 3]]");
        assert_eq!(
            Array::from_vec(Prim::I64, &[2, 1, 2], (0..4).collect()).format(),
            "[[[0, 1]], [[2, 3]]]"
        );
        assert_eq!(f(&[1e-5, 1e16]).format(), "[1e-05, 1e+16]");
        assert_eq!(format!("{:?}", i(&[1])), "Array(i64, shape (1,), [1])");
    }
}
