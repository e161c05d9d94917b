//! The `print` form of an array (nested lists, `[[1, 2], [3, 4]]`) and its `Debug` form.
//!
//! Invariant: walks only in-bounds positions (shape and strides from the offset) and prints
//! each element with the scalar formatter of [`crate::runtime::format`], so an array prints
//! its elements exactly as the scalars would.
//!
//! Large arrays are summarized as NumPy's `array2string` does with its default print
//! options (`threshold=1000`, `edgeitems=3`): an array of **more than 1,000 elements** is
//! summarized, and then on **every axis longer than 6** (`2 * edgeitems < len`, NumPy's
//! `show_summary` in `_formatArray`) only the first 3 and last 3 entries are shown, with
//! `...` in place of the rest; shorter axes are shown whole. On an outer axis the `...`
//! stands for the elided rows (or planes), as NumPy's own line does. The layout stays nk's
//! one-line nested lists: `[0, 1, 2, ..., 1997, 1998, 1999]`,
//! `[[0, 1, 2, ..., 47, 48, 49], [50, 51, 52, ..., 97, 98, 99], ..., [1950, ...]]`.
//! Arrays of at most 1,000 elements print whole, exactly as in version 1.

use std::fmt;

use super::Array;
use crate::runtime::format::{format_scalar, format_shape};
use crate::runtime::ops::Scalar;

/// Arrays of more elements than this are summarized (NumPy's default `threshold`).
pub const SUMMARY_THRESHOLD: usize = 1000;

/// Entries shown at each end of a summarized axis (NumPy's default `edgeitems`).
pub const EDGE_ITEMS: usize = 3;

impl Array {
    /// The `print` form: nested lists, `[1.0, 2.5]`, `[[1, 2], [3, 4]]`, `[]`, `[[], []]`;
    /// summarized past [`SUMMARY_THRESHOLD`] elements (see the module's doc).
    pub fn format(&self) -> String {
        let mut out = String::new();
        let summarize = self.size() > SUMMARY_THRESHOLD;
        self.format_axis(0, self.offset as isize, summarize, &mut out);
        out
    }

    fn format_axis(&self, axis: usize, base: isize, summarize: bool, out: &mut String) {
        let n = self.shape[axis];
        // The positions shown: all, or the first and last EDGE_ITEMS around a `...`.
        let elide = summarize && n > 2 * EDGE_ITEMS;
        let (head, tail) = if elide {
            (0..EDGE_ITEMS, n - EDGE_ITEMS..n)
        } else {
            (0..n, n..n)
        };
        out.push('[');
        for i in head.chain(tail) {
            if i > 0 {
                out.push_str(", ");
            }
            if elide && i == n - EDGE_ITEMS {
                out.push_str("..., ");
            }
            let pos = base + i as isize * self.strides[axis];
            if axis + 1 == self.ndim {
                let bits = self.data.load(self.elem, pos as usize);
                out.push_str(&format_scalar(Scalar::from_bits(self.elem, bits)));
            } else {
                self.format_axis(axis + 1, pos, summarize, out);
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

    fn iota(shape: &[usize]) -> Array {
        let n = shape.iter().product::<usize>() as u64;
        Array::from_vec(Prim::I64, shape, (0..n).collect())
    }

    #[test]
    fn up_to_1000_elements_print_whole() {
        let s = iota(&[1000]).format();
        assert!(s.starts_with("[0, 1, 2, 3, ") && s.ends_with(", 998, 999]"));
        assert!(!s.contains("..."));
        assert!(!iota(&[10, 100]).format().contains("..."));
    }

    #[test]
    fn large_arrays_summarize_as_numpy() {
        assert_eq!(iota(&[1001]).format(), "[0, 1, 2, ..., 998, 999, 1000]");
        assert_eq!(
            iota(&[40, 50]).format(),
            "[[0, 1, 2, ..., 47, 48, 49], [50, 51, 52, ..., 97, 98, 99], \
             [100, 101, 102, ..., 147, 148, 149], ..., \
             [1850, 1851, 1852, ..., 1897, 1898, 1899], \
             [1900, 1901, 1902, ..., 1947, 1948, 1949], \
             [1950, 1951, 1952, ..., 1997, 1998, 1999]]"
        );
        // Axes of at most 6 entries are shown whole, even in a summarized array.
        assert_eq!(
            iota(&[6, 200]).format(),
            "[[0, 1, 2, ..., 197, 198, 199], [200, 201, 202, ..., 397, 398, 399], \
             [400, 401, 402, ..., 597, 598, 599], [600, 601, 602, ..., 797, 798, 799], \
             [800, 801, 802, ..., 997, 998, 999], [1000, 1001, 1002, ..., 1197, 1198, 1199]]"
        );
        assert_eq!(
            iota(&[1001, 1]).format(),
            "[[0], [1], [2], ..., [998], [999], [1000]]"
        );
        let cube = iota(&[7, 2, 100]).format();
        assert!(cube.starts_with("[[[0, 1, 2, ..., 97, 98, 99], [100, 101, 102, ..., 197, 198, 199]], [[200, "));
        assert!(cube.contains("]], ..., [[800, 801, 802, ..., 897, 898, 899], [900, "));
        assert!(cube.ends_with("[1300, 1301, 1302, ..., 1397, 1398, 1399]]]"));
        // A view summarizes what it shows: its own size and strides.
        let t = iota(&[50, 40]).transpose();
        assert!(t.format().starts_with("[[0, 40, 80, ..., 1880, 1920, 1960], [1, 41, "));
        assert_eq!(
            f(&vec![0.5; 2000]).format(),
            "[0.5, 0.5, 0.5, ..., 0.5, 0.5, 0.5]"
        );
    }
}
