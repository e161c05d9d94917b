//! Executable memory for compiled functions: the one place bytes become code.
//!
//! Each function gets its own anonymous mapping, written while writable and then
//! switched to read+execute (never both at once: W^X). The mapping lives as long as the
//! `CodeMemory`; the code embeds no absolute address (see `abi`), so the bytes need no
//! patching after the copy.

use crate::abi::NativeFn;
use memmap2::{Mmap, MmapMut};

pub struct CodeMemory {
    map: Mmap,
    len: usize,
}

impl CodeMemory {
    /// Copies `code` into a fresh mapping and makes it executable.
    pub fn new(code: &[u8]) -> Result<CodeMemory, super::JitError> {
        let mut map = MmapMut::map_anon(code.len().max(1))
            .map_err(|e| super::JitError::Memory(format!("cannot map memory for code: {e}")))?;
        map[..code.len()].copy_from_slice(code);
        let map = map
            .make_exec()
            .map_err(|e| super::JitError::Memory(format!("cannot make code executable: {e}")))?;
        Ok(CodeMemory {
            map,
            len: code.len(),
        })
    }

    /// The entry point. Calling it is sound only for bytes produced by `jit::Jit` for the
    /// native calling convention, with a valid context (see `vm::bridge`).
    pub fn entry(&self) -> NativeFn {
        // SAFETY: the mapping holds machine code Cranelift compiled for the host with the
        // `NativeFn` signature (`codegen::native_signature`), starting at offset 0, and is
        // executable; `self` keeps it mapped while the function pointer is used (owners
        // keep the `CodeMemory` alive as long as any table slot points into it).
        unsafe { std::mem::transmute::<*const u8, NativeFn>(self.map.as_ptr()) }
    }

    /// The machine code.
    pub fn bytes(&self) -> &[u8] {
        &self.map[..self.len]
    }

    // Never empty (a compiled function has at least its prologue), so no `is_empty`.
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        self.len
    }
}
