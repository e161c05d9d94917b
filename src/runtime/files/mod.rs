//! Data files: NumPy `.npy` arrays ([`npy`]) and comma-separated numbers ([`csv`]), read and
//! written for nk's `load_npy`/`save_npy`/`load_csv`/`save_csv`.
//!
//! The module knows nothing of [`crate::runtime::Array`]: elements travel as little-endian
//! bytes (`.npy`) or `f64`s and caller-formatted text (CSV), plus a shape, so the array
//! layer can change its storage without touching file formats.
//!
//! Invariants:
//! - No input, however malformed or hostile, panics or makes a large allocation before the
//!   bytes it claims have been seen to exist: sizes from a header are compared with the file's
//!   length (its metadata) first, with checked arithmetic.
//! - Every failure is a [`FileError`] whose text names the file (as the user wrote its path)
//!   and the problem in the user's terms; it becomes the runtime's [`RtError`] unchanged.
//! - Every file is written through [`write_atomically`]: a temporary file in the target's
//!   folder, synced, then renamed over the target, so an error or a kill never leaves a
//!   half-written file under the real name.

// Nothing calls these yet outside the tests and the fuzz target: the dtype work of issue 14
// wires them to `load_npy`/`save_npy`/`load_csv`/`save_csv`.
#![cfg_attr(not(feature = "internals"), allow(dead_code))]

pub mod csv;
pub mod npy;

use std::fmt;
use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use crate::runtime::RtError;

/// A failed read or write of a data file: the message the nk user sees, starting with the
/// file's name (`data.npy: dtype <c16 (complex128) is not supported; ...`), with no
/// trailing period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    msg: String,
}

impl FileError {
    /// `NAME: what` — the convention every message of this module follows.
    pub fn new(name: &str, what: impl fmt::Display) -> FileError {
        FileError {
            msg: format!("{name}: {what}"),
        }
    }

    /// An OS error while doing `doing` (`cannot open`, `cannot write`, ...): the OS's text
    /// without Rust's `(os error N)` suffix.
    pub fn io(name: &str, doing: &str, e: &io::Error) -> FileError {
        let text = e.to_string();
        let text = match text.rfind(" (os error ") {
            Some(i) if text.ends_with(')') => text[..i].to_string(),
            _ => text,
        };
        FileError::new(name, format!("{doing}: {text}"))
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.msg
    }
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.msg)
    }
}

impl std::error::Error for FileError {}

impl From<FileError> for RtError {
    fn from(e: FileError) -> RtError {
        RtError::new(e.msg)
    }
}

/// The name a message uses for `path`: as the user wrote it.
pub(crate) fn display_name(path: &Path) -> String {
    path.display().to_string()
}

/// Opens a regular file for reading: (the file, its length). Folders, devices and pipes are
/// refused (a device's or pipe's length is unknown, so nothing could be checked against it).
pub(crate) fn open_regular(path: &Path) -> Result<(File, u64), FileError> {
    let name = display_name(path);
    let file = File::open(path).map_err(|e| FileError::io(&name, "cannot open", &e))?;
    let meta = file
        .metadata()
        .map_err(|e| FileError::io(&name, "cannot read", &e))?;
    if meta.is_dir() {
        return Err(FileError::new(&name, "is a folder, not a file"));
    }
    if !meta.is_file() {
        return Err(FileError::new(&name, "is not a regular file"));
    }
    Ok((file, meta.len()))
}

/// Reads the whole file, refusing one longer than `limit` bytes before reading it (the
/// length comes from the open file's metadata; a file that grows meanwhile is still cut at
/// `limit + 1` bytes and refused).
pub(crate) fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, FileError> {
    let name = display_name(path);
    let (file, len) = open_regular(path)?;
    if len > limit {
        return Err(too_big(&name, len, limit));
    }
    let mut buf = Vec::new();
    buf.try_reserve_exact(len as usize)
        .map_err(|_| FileError::new(&name, "out of memory reading the file"))?;
    file.take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(|e| FileError::io(&name, "cannot read", &e))?;
    if buf.len() as u64 > limit {
        return Err(too_big(&name, buf.len() as u64, limit));
    }
    Ok(buf)
}

fn too_big(name: &str, len: u64, limit: u64) -> FileError {
    FileError::new(
        name,
        format!("file of {len} bytes is larger than the {limit} bytes nk reads"),
    )
}

/// Writes a file atomically: `fill` writes the contents into a temporary file beside
/// `path` (`.NAME.tmp-PID-NANOS`, created exclusively), which is flushed, synced
/// (`fsync`) and renamed over `path`. On any failure the temporary file is removed and
/// `path` is left as it was. The new file gets the default permissions of a new file (an
/// existing target's permissions are not kept).
pub fn write_atomically(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> Result<(), FileError>,
) -> Result<(), FileError> {
    let name = display_name(path);
    let tmp = temp_path(path).ok_or_else(|| FileError::new(&name, "is not a file name"))?;
    let file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(|e| FileError::io(&name, "cannot write", &e))?;
    let result = (|| {
        let mut w = BufWriter::new(file);
        fill(&mut w)?;
        let file = w
            .into_inner()
            .map_err(|e| FileError::io(&name, "cannot write", e.error()))?;
        file.sync_all()
            .map_err(|e| FileError::io(&name, "cannot write", &e))?;
        drop(file);
        fs::rename(&tmp, path).map_err(|e| FileError::io(&name, "cannot write", &e))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    } else if let Some(dir) = tmp.parent() {
        // Make the rename itself durable where the platform allows it (best effort: some
        // file systems refuse to open or sync a folder, and the data is already synced).
        if let Ok(d) = File::open(if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        }) {
            let _ = d.sync_all();
        }
    }
    result
}

/// `.NAME.tmp-PID-NANOS` in `path`'s folder (None if `path` names no file).
fn temp_path(path: &Path) -> Option<PathBuf> {
    let file_name = path.file_name()?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(file_name);
    tmp_name.push(format!(".tmp-{}-{nanos}", std::process::id()));
    Some(path.with_file_name(tmp_name))
}

/// Wraps a write error of the temporary file.
pub(crate) fn write_err(name: &str) -> impl Fn(io::Error) -> FileError + '_ {
    move |e| FileError::io(name, "cannot write", &e)
}

#[cfg(test)]
pub(crate) mod test_util {
    use std::path::PathBuf;

    /// A fresh empty folder under the system's temporary folder, removed on drop.
    pub struct TempDir(pub PathBuf);

    impl TempDir {
        pub fn new(tag: &str) -> TempDir {
            use std::sync::atomic::{AtomicUsize, Ordering};
            static N: AtomicUsize = AtomicUsize::new(0);
            let dir = std::env::temp_dir().join(format!(
                "nvm-files-{tag}-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }

        pub fn join(&self, name: &str) -> PathBuf {
            self.0.join(name)
        }

        /// The names of the files in the folder, sorted.
        pub fn names(&self) -> Vec<String> {
            let mut v: Vec<String> = std::fs::read_dir(&self.0)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_util::TempDir;
    use super::*;

    #[test]
    fn atomic_write_replaces_the_target_and_leaves_no_temporary() {
        let d = TempDir::new("atomic");
        let p = d.join("out.txt");
        fs::write(&p, "old").unwrap();
        write_atomically(&p, |w| w.write_all(b"new").map_err(write_err("out.txt"))).unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "new");
        assert_eq!(d.names(), ["out.txt"]);
    }

    #[test]
    fn a_failed_write_keeps_the_old_file_and_removes_the_temporary() {
        let d = TempDir::new("atomic-fail");
        let p = d.join("out.txt");
        fs::write(&p, "old").unwrap();
        let e = write_atomically(&p, |w| {
            w.write_all(b"half").unwrap();
            Err(FileError::new("out.txt", "boom"))
        })
        .unwrap_err();
        assert_eq!(e.to_string(), "out.txt: boom");
        assert_eq!(fs::read_to_string(&p).unwrap(), "old");
        assert_eq!(d.names(), ["out.txt"]);
    }

    #[test]
    fn missing_folder_and_missing_file_name_the_path_and_the_os_error() {
        let d = TempDir::new("missing");
        let p = d.join("no/such/dir/out.npy");
        let e = write_atomically(&p, |_| Ok(())).unwrap_err().to_string();
        assert!(e.starts_with(&format!("{}: cannot write: ", p.display())), "{e}");
        assert!(e.contains("No such file"), "{e}");
        let e = read_limited(&d.join("absent.csv"), 10).unwrap_err().to_string();
        assert!(e.ends_with("absent.csv: cannot open: No such file or directory"), "{e}");
        let e = read_limited(&d.0, 10).unwrap_err().to_string();
        assert!(e.ends_with("is a folder, not a file"), "{e}");
        let e = read_limited(Path::new("/dev/null"), 10).unwrap_err().to_string();
        assert_eq!(e, "/dev/null: is not a regular file");
        let e = write_atomically(&d.0, |_| Ok(())).unwrap_err().to_string();
        assert!(e.contains("cannot write"), "{e}");
        assert_eq!(d.names(), Vec::<String>::new());
    }

    #[test]
    fn file_errors_become_runtime_errors_unchanged() {
        let e: RtError = FileError::new("a.csv", "line 2, column 3: bad").into();
        assert_eq!(e.msg, "a.csv: line 2, column 3: bad");
    }
}
