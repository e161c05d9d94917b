//! Executable memory for compiled functions: the one place bytes become code.
//!
//! Functions are placed in large anonymous mappings (*chunks*, 1 MiB or the function's
//! size) filled by the functions one thread compiles or loads: each function gets whole pages of its own,
//! written while they are writable and then switched to read+execute (never both at once:
//! W^X). A page is never written again after the switch, so code that is running is never
//! made writable. One `mprotect` per function (instead of a mapping, a protection change
//! and an unmapping of its own: loading a thousand functions from the code heap took a
//! thousand of each). A code heap pack's code area is read into a mapping of its own
//! (`CodeArea`), made executable with one `mprotect` for all its functions before any of
//! them runs. A chunk is unmapped when its last function is dropped (a program's
//! code dies with its VM, so chunks do not outlive the programs that filled them). The code embeds no absolute
//! address (see `abi`), so the bytes need no patching after the copy.

use crate::abi::NativeFn;
use std::cell::RefCell;
// `Arc`, not `Rc`: a chunk is shared by the thread that fills it (its current chunk) and
// the VMs whose code lives in it, and an engine (with its VM) may move to another thread.
use std::sync::Arc;

/// The size of a fresh chunk (address space; only pages written are resident).
const CHUNK: usize = 1 << 20;

fn page_size() -> usize {
    // SAFETY: sysconf reads a constant of the running system; no memory is touched.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if p > 0 {
        p as usize
    } else {
        4096
    }
}

/// One anonymous mapping; pages below `used` belong to functions (read+execute), the
/// rest is still read+write and untouched.
struct Chunk {
    base: *mut u8,
    len: usize,
}

impl Chunk {
    fn new(len: usize) -> Result<Chunk, super::JitError> {
        Chunk::map(len, 0)
    }

    /// A fresh read+write mapping of `len` bytes, with these extra `mmap` flags.
    fn map(len: usize, flags: libc::c_int) -> Result<Chunk, super::JitError> {
        // SAFETY: a fresh private anonymous mapping; no existing memory is affected.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | flags,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(super::JitError::Memory(format!(
                "cannot map memory for code: {}",
                std::io::Error::last_os_error()
            )));
        }
        Ok(Chunk {
            base: p.cast(),
            len,
        })
    }
}

// SAFETY: a `Chunk` is a mapping owned by this value, unmapped only when the last `Arc`
// to it drops. Its bytes are written only through `CodeMemory::new`, by the thread whose
// `CURRENT` hands out the next free pages, before those pages become read+execute; a page
// is never written after that. So other threads holding the `Arc` (a VM moved with its
// engine) only read or execute pages no one writes.
unsafe impl Send for Chunk {}
// SAFETY: as for `Send`: shared access never writes a page another thread may read.
unsafe impl Sync for Chunk {}

impl Drop for Chunk {
    fn drop(&mut self) {
        // SAFETY: `base..base+len` is this chunk's own mapping; every `CodeMemory` in it
        // holds an `Arc` to the chunk, so none is alive (no function pointer into it is
        // used) when the last reference drops.
        unsafe { libc::munmap(self.base.cast(), self.len) };
    }
}

thread_local! {
    /// The chunk new code goes into, and the offset of its first free page.
    static CURRENT: RefCell<Option<(Arc<Chunk>, usize)>> = const { RefCell::new(None) };
}

/// Executable memory being filled with many functions at once (a code heap pack's code
/// area): writable until [`CodeArea::publish`] makes all of it read+execute with one
/// `mprotect` and hands out its functions. Nothing in it can run before that (W^X).
pub struct CodeArea {
    chunk: Chunk,
    len: usize,
}

impl CodeArea {
    /// A fresh writable area of `len` bytes, its pages allocated at once (`MAP_POPULATE`:
    /// one batch instead of a page fault per page as it is filled).
    pub fn new(len: usize) -> Result<CodeArea, super::JitError> {
        let span = len.max(1).div_ceil(page_size()) * page_size();
        Ok(CodeArea {
            chunk: Chunk::map(span, libc::MAP_POPULATE)?,
            len,
        })
    }

    /// The bytes to fill.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: the mapping is this value's own, at least `len` bytes, read+write, and
        // nothing else refers to it before `publish`.
        unsafe { std::slice::from_raw_parts_mut(self.chunk.base, self.len) }
    }

    /// Makes the whole area read+execute and returns a function for each `(offset, len)`
    /// range of it (offsets aligned as Cranelift aligns a function, 64 bytes); the pages
    /// are never written again.
    pub fn publish(self, funcs: &[(usize, usize)]) -> Result<Vec<CodeMemory>, super::JitError> {
        let outside = |&(at, len): &(usize, usize)| {
            len == 0 || !at.is_multiple_of(64) || at.checked_add(len).is_none_or(|e| e > self.len)
        };
        if funcs.iter().any(outside) {
            return Err(super::JitError::Memory(
                "a function lies outside its code area".into(),
            ));
        }
        // SAFETY: the chunk's whole mapping, which this value owns; nothing runs in it yet.
        if unsafe {
            libc::mprotect(
                self.chunk.base.cast(),
                self.chunk.len,
                libc::PROT_READ | libc::PROT_EXEC,
            )
        } != 0
        {
            return Err(super::JitError::Memory(format!(
                "cannot make code executable: {}",
                std::io::Error::last_os_error()
            )));
        }
        let chunk = Arc::new(self.chunk);
        Ok(funcs
            .iter()
            .map(|&(offset, len)| CodeMemory {
                chunk: chunk.clone(),
                offset,
                len,
            })
            .collect())
    }
}

pub struct CodeMemory {
    chunk: Arc<Chunk>,
    /// Offset of the function's first page in the chunk.
    offset: usize,
    /// Bytes of code.
    len: usize,
}

impl CodeMemory {
    /// Copies `code` into fresh pages and makes them executable.
    pub fn new(code: &[u8]) -> Result<CodeMemory, super::JitError> {
        let page = page_size();
        let span = code.len().max(1).div_ceil(page) * page;
        let (chunk, offset) = CURRENT.with(|cur| -> Result<_, super::JitError> {
            let mut cur = cur.borrow_mut();
            let fits = matches!(&*cur, Some((c, off)) if off + span <= c.len);
            if !fits {
                *cur = Some((Arc::new(Chunk::new(CHUNK.max(span))?), 0));
            }
            let (c, off) = cur.as_mut().expect("a chunk was just made");
            let at = *off;
            *off += span;
            Ok((c.clone(), at))
        })?;
        // SAFETY: `offset..offset+span` lies inside the chunk's mapping (checked above),
        // was handed out to no one else (the bump offset moved past it) and is still
        // read+write; after the copy it is made read+execute and never written again.
        unsafe {
            let at = chunk.base.add(offset);
            std::ptr::copy_nonoverlapping(code.as_ptr(), at, code.len());
            if libc::mprotect(at.cast(), span, libc::PROT_READ | libc::PROT_EXEC) != 0 {
                return Err(super::JitError::Memory(format!(
                    "cannot make code executable: {}",
                    std::io::Error::last_os_error()
                )));
            }
        }
        Ok(CodeMemory {
            chunk,
            offset,
            len: code.len(),
        })
    }

    /// The entry point. Calling it is sound only for bytes produced by `jit::Jit` for the
    /// native calling convention, with a valid context (see `vm::bridge`).
    pub fn entry(&self) -> NativeFn {
        // SAFETY: the pages hold machine code Cranelift compiled for the host with the
        // `NativeFn` signature (`codegen::native_signature`), starting at offset 0, and are
        // executable; `self` keeps them mapped while the function pointer is used (owners
        // keep the `CodeMemory` alive as long as any table slot points into it).
        unsafe {
            std::mem::transmute::<*const u8, NativeFn>(self.chunk.base.add(self.offset).cast_const())
        }
    }

    /// The machine code.
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: `offset..offset+len` is inside the chunk, readable, written once before
        // this value existed and never again; the `Arc` keeps the mapping alive.
        unsafe { std::slice::from_raw_parts(self.chunk.base.add(self.offset), self.len) }
    }

    // Never empty (a compiled function has at least its prologue), so no `is_empty`.
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        self.len
    }
}
