//! Arrays to and from data files: nk's `load_npy`, `save_npy`, `load_csv`, `save_csv`, over
//! the format code of [`crate::runtime::files`] (which knows no `Array`).
//!
//! Invariant: what `load_npy` returns has exactly the element type and rank the program
//! asked for (the checker typed the call with them); anything else in the file is an error
//! naming the file, what it holds and what was asked.

use std::cell::Cell;
use std::path::Path;

use super::storage::OwnedWords;
use super::{Array, MAX_ELEMENTS};
use crate::runtime::error::RtError;
use crate::runtime::files::{csv, npy, FileError};
use crate::runtime::format::{format_scalar, format_shape};
use crate::runtime::ops::Scalar;
use crate::vocab::Prim;

fn dtype_of(p: Prim) -> npy::Dtype {
    match p {
        Prim::Bool => npy::Dtype::Bool,
        Prim::U8 => npy::Dtype::U8,
        Prim::I32 => npy::Dtype::I32,
        Prim::I64 => npy::Dtype::I64,
        Prim::F32 => npy::Dtype::F32,
        Prim::F64 => npy::Dtype::F64,
    }
}

impl Array {
    /// `load_npy(path, T, ndim)`: the `.npy` file's array, which must hold `T` elements in
    /// `ndim` axes.
    pub fn load_npy(path: &str, p: Prim, ndim: u8) -> Result<Array, RtError> {
        let f = npy::read(Path::new(path))?;
        if f.dtype != dtype_of(p) || f.shape.len() != ndim as usize {
            return Err(RtError::new(format!(
                "{path}: the file holds {} with shape {}; load_npy asked for {} with {ndim} dimension{}",
                f.dtype.name(),
                format_shape(&f.shape),
                p.name(),
                if ndim == 1 { "" } else { "s" }
            )));
        }
        let n = f.shape.iter().product::<usize>();
        if n > MAX_ELEMENTS {
            return Err(RtError::new(format!(
                "{path}: an array of shape {} is too large",
                format_shape(&f.shape)
            )));
        }
        // Little-endian bytes in C order, `n × size` of them (checked by the reader).
        let words = match p.size() {
            1 => OwnedWords::W1(f.data.into_iter().map(Cell::new).collect()),
            4 => OwnedWords::W4(
                f.data
                    .chunks_exact(4)
                    .map(|c| Cell::new(u32::from_le_bytes([c[0], c[1], c[2], c[3]])))
                    .collect(),
            ),
            _ => OwnedWords::W8(
                f.data
                    .chunks_exact(8)
                    .map(|c| {
                        let mut b = [0u8; 8];
                        b.copy_from_slice(c);
                        Cell::new(u64::from_le_bytes(b))
                    })
                    .collect(),
            ),
        };
        Ok(Array::from_owned(p, &f.shape, words, n))
    }

    /// `save_npy(path, a)`: a `.npy` file that `numpy.load` reads back exactly (C order,
    /// little-endian), written atomically.
    pub fn save_npy(&self, path: &str) -> Result<(), RtError> {
        let size = self.elem.size();
        let mut data = Vec::new();
        data.try_reserve_exact(self.size() * size)
            .map_err(|_| FileError::new(path, "out of memory"))?;
        for bits in self.iter_bits() {
            let raw = super::storage::to_raw(self.elem, bits).to_le_bytes();
            data.extend_from_slice(&raw[..size]);
        }
        Ok(npy::write(Path::new(path), dtype_of(self.elem), self.shape(), &data)?)
    }

    /// `load_csv(path, skip=k)`: comma-separated numbers as an `f64[,]` (rows × columns).
    pub fn load_csv(path: &str, skip: i64) -> Result<Array, RtError> {
        let Ok(skip) = usize::try_from(skip) else {
            return Err(RtError::new(format!(
                "load_csv: skip must not be negative, found {skip}"
            )));
        };
        let (rows, cols, vals) = csv::read_csv(Path::new(path), skip)?;
        let bits = vals.into_iter().map(f64::to_bits).collect();
        Ok(Array::from_vec(Prim::F64, &[rows, cols], bits))
    }

    /// `save_csv(path, a)`: a 2-D array one row per line (a 1-D array as one line), numbers
    /// in `print`'s format separated by `,`.
    pub fn save_csv(&self, path: &str) -> Result<(), RtError> {
        let (rows, cols) = match *self.shape() {
            [n] => (1, n),
            [r, c] => (r, c),
            _ => {
                return Err(RtError::new(format!(
                    "save_csv writes 1-D or 2-D arrays, not one of shape {}",
                    format_shape(self.shape())
                )))
            }
        };
        let flat = self.to_vec_bits();
        let elem = self.elem;
        Ok(csv::write_csv(Path::new(path), rows, cols, |i, j| {
            format_scalar(Scalar::from_bits(elem, flat[i * cols + j]))
        })?)
    }
}
