//! Executable memory for compiled functions: the one place bytes become code.
//!
//! Functions are placed in large anonymous mappings (*chunks*, 1 MiB or the function's
//! size) filled by the functions one thread compiles or loads: each function gets whole pages of its own,
//! written while they are writable and then switched to read+execute (never both at once:
//! W^X). A page is never written again after the switch, so code that is running is never
//! made writable. One `mprotect` per function (instead of a mapping, a protection change
//! and an unmapping of its own: loading a thousand functions from the code heap took a
//! thousand of each). A code heap pack (`CodeMemory::batch`) is copied into a mapping of
//! its own, with one `mprotect` for all its functions, before any of them runs. A chunk is unmapped when its last function is dropped (a program's
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
        // SAFETY: a fresh private anonymous mapping; no existing memory is affected.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
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

    /// Copies `area` into one fresh mapping made executable with one `mprotect`, and
    /// returns a function for each `(offset, len)` range of it: a code heap pack, whose
    /// functions are laid out at offsets aligned as Cranelift aligns a function. Every
    /// function is executable before any runs; the pages are never written again (W^X).
    pub fn batch(area: &[u8], funcs: &[(usize, usize)]) -> Result<Vec<CodeMemory>, super::JitError> {
        if funcs
            .iter()
            .any(|&(at, len)| len == 0 || !at.is_multiple_of(64) || at.checked_add(len).is_none_or(|e| e > area.len()))
        {
            return Err(super::JitError::Memory("a function lies outside its code area".into()));
        }
        let span = area.len().max(1).div_ceil(page_size()) * page_size();
        let chunk = Arc::new(Chunk::new(span)?);
        // SAFETY: the mapping is fresh, `span >= area.len()` bytes long and read+write;
        // no one else holds it yet. After the copy it is made read+execute and never
        // written again.
        unsafe {
            std::ptr::copy_nonoverlapping(area.as_ptr(), chunk.base, area.len());
            if libc::mprotect(chunk.base.cast(), span, libc::PROT_READ | libc::PROT_EXEC) != 0 {
                return Err(super::JitError::Memory(format!(
                    "cannot make code executable: {}",
                    std::io::Error::last_os_error()
                )));
            }
        }
        Ok(funcs
            .iter()
            .map(|&(offset, len)| CodeMemory {
                chunk: chunk.clone(),
                offset,
                len,
            })
            .collect())
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
