//! The persistent code heap: compiled specializations on disk, each stored once, mapped
//! back into memory as they are needed.
//!
//! ```text
//!  ROOT/                       Options::cache_dir (the CLI: --cache-dir, NVM_CACHE_DIR,
//!                              or the user cache folder)
//!    v1-<target>/              one folder per heap format + compiler + CPU target
//!      <key>.nkc               one entry per specialization (32 hex digits: its key)
//!      <image key>.nkp         one pack per program: the code of all its entries, read
//!                              at once by its warm runs (`pack`; derived, never the
//!                              only copy the heap means to keep)
//!    img-v2/<key>.nki          run images (`image`)
//! ```
//! An entry's **key** ([`key`]) hashes everything its machine code depends on: its
//! bytecode (with each call naming its callee by link index, not by slot), its own
//! signature, the *signatures* of its callees, and the compiler/target fingerprint — never
//! a callee's body, never a source position. So a caller's entry survives any edit of a
//! callee's body, and the same function in two programs (the stdlib's `sum(f64[])`, say)
//! is one entry.
//!
//! An **entry file** (little endian): a 64-byte header — magic `NVMHEAP\0`, format version
//! (u32), header size (u32), key (16 bytes), target fingerprint (16 bytes), code length
//! (u32), metadata length (u32), xxh3-64 checksum of code + metadata (u64) — then the
//! machine code (64-byte aligned, so it is mapped and run in place: it holds no address
//! and needs no relocation), then the metadata: the function's name and its callees'
//! identities, one per line (for `nvm cache verify`/`stats`; loading does not need them).
//!
//! **Loading** reads an entry, checks it, and copies its code into fresh executable memory
//! unchanged (it holds no address, so nothing is patched). Copying rather than mapping the
//! file keeps a process safe from a file truncated under it (a mapped file would raise
//! SIGBUS); the code is small, so the copy costs microseconds.
//!
//! **Concurrency**: an entry is written to a temporary file in the same folder and renamed
//! into place, so readers see a whole entry or none; two writers of one key write the same
//! bytes. Readers check magic, version, key, fingerprint, lengths and checksum before
//! using an entry: a bad one is reported as a warning and rebuilt. Nothing is ever
//! modified in place, so a mapped entry stays valid even if `gc` deletes its file.

#[cfg(feature = "fault-injection")]
mod fault;
pub mod image;
pub mod key;
pub mod manage;
pub mod pack;

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

pub use key::Key;

/// Bumped whenever the entry layout changes (older entries are then never read).
pub const FORMAT_VERSION: u32 = 1;
const MAGIC: &[u8; 8] = b"NVMHEAP\0";
const HEADER: usize = 64;
/// Extension of entry files.
pub const EXT: &str = "nkc";

/// Counters for `--stats`.
#[derive(Debug, Default, Clone)]
pub struct HeapStats {
    /// Specializations whose native code was mapped from the heap.
    pub hits: u64,
    /// Lookups that found no (valid) entry.
    pub misses: u64,
    /// Entries written.
    pub writes: u64,
    /// Bytes of entry files read.
    pub bytes_loaded: u64,
    /// Time spent looking up, checking and mapping entries.
    pub load_ns: u64,
    /// The program's pack (`pack`): `Some("hit")` (read and current), `Some("miss")` (none,
    /// stale or damaged), `None` (the run has no run image, so no pack).
    pub pack: Option<&'static str>,
}

/// A heap folder for one target.
pub struct CodeHeap {
    dir: PathBuf,
    fingerprint: [u8; 16],
    /// False once a write failed: the run goes on uncached (with one warning).
    writable: bool,
    pub stats: HeapStats,
    /// Problems met (corrupt entries, unwritable folder), for the caller to show.
    pub warnings: Vec<String>,
    /// The last entry read (reused: one allocation for all loads).
    buf: Vec<u8>,
}

/// What `read_entry` found in a file.
pub struct EntryInfo {
    pub fingerprint: [u8; 16],
    pub code_len: usize,
    pub name: String,
    pub callees: Vec<String>,
}

/// Reads a whole file into `buf` with open, read(s) and close: no `stat` first (`fs::read`
/// asks for the size; entries are a few KiB, so a 16 KiB first read usually gets all).
/// Returns the file's length; `buf` keeps its (zeroed once) length for the next file.
fn read_small(path: &Path, buf: &mut Vec<u8>) -> std::io::Result<usize> {
    use std::io::Read;
    // Not `read_to_end`: for a `File` it asks for the size first (one more syscall).
    let mut f = File::open(path)?;
    if buf.len() < 16 << 10 {
        buf.resize(16 << 10, 0);
    }
    let mut n = 0;
    loop {
        if n == buf.len() {
            buf.resize(2 * n, 0);
        }
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => {
                n += k;
                // A short read of a regular file is its end. Stop without the read that
                // would return 0 if the bytes are as long as their header says; anything
                // else (padding, a damaged header) is read to the end and judged whole.
                if n < buf.len()
                    && n >= HEADER
                    && n == HEADER + u32_at(buf, 48) as usize + u32_at(buf, 52) as usize
                {
                    break;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// A temporary file name in `dir` for publishing `key` (then renamed into place): unique
/// per process and moment, so concurrent writers never share one.
fn temp_path(dir: &Path, key: &Key) -> std::path::PathBuf {
    dir.join(format!(
        ".tmp-{}-{}-{}",
        key.hex(),
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos())
    ))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl CodeHeap {
    /// The heap under `root` for code with this target `fingerprint` (see
    /// `jit::Jit::fingerprint`). The folder is created on first write.
    pub fn open(root: &Path, fingerprint: [u8; 16]) -> CodeHeap {
        CodeHeap {
            dir: root.join(format!("v{FORMAT_VERSION}-{}", hex(&fingerprint[..8]))),
            fingerprint,
            writable: true,
            stats: HeapStats::default(),
            warnings: Vec::new(),
            buf: Vec::new(),
        }
    }

    /// The folder of this target's entries (the fuzz target writes entries into it).
    #[cfg_attr(not(feature = "internals"), allow(dead_code))]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn pack_path(&self, image: &Key) -> PathBuf {
        self.dir.join(pack::file_name(image))
    }

    /// Opens the pack of `id`'s program if there is a current one, its header and records
    /// read; [`CodeHeap::read_pack`] reads its code. None if there is none or it is stale
    /// (its image was rewritten: the run writes a new one); a damaged one is reported in
    /// `warnings` and removed. `n_slots`: the program's number of specializations.
    pub fn open_pack(&mut self, id: &pack::PackId, n_slots: usize) -> Option<pack::PackFile> {
        let start = std::time::Instant::now();
        let path = self.pack_path(&id.image);
        let r = match pack::PackFile::open(&path, n_slots) {
            Ok(p) if p.info.image != id.image => {
                self.pack_damaged(&path, "its key does not match its file name".into())
            }
            Ok(p) if p.info.fingerprint != self.fingerprint => {
                self.pack_damaged(&path, "compiled for another nvm version or CPU".into())
            }
            Ok(p) if p.info.matches(id, &self.fingerprint) => Some(p),
            Ok(_) | Err(pack::ReadError::Absent) => None, // stale, or none
            Err(pack::ReadError::Damaged(why)) => self.pack_damaged(&path, why),
        };
        self.stats.pack = Some("miss");
        self.stats.load_ns += start.elapsed().as_nanos() as u64;
        r
    }

    /// Reads the code area of a pack [`CodeHeap::open_pack`] opened into `area` (its
    /// length: `PackFile::area_len`) and checks the pack's checksum; what it holds, or
    /// None (damaged: a warning, the file removed).
    pub fn read_pack(&mut self, file: pack::PackFile, area: &mut [u8]) -> Option<pack::PackInfo> {
        let start = std::time::Instant::now();
        let path = self.pack_path(&file.info.image);
        let len = file.info.code_at + area.len();
        let r = match file.read_area(area) {
            Ok(info) => {
                self.stats.bytes_loaded += len as u64;
                self.stats.pack = Some("hit");
                Some(info)
            }
            Err(why) => self.pack_damaged(&path, why),
        };
        self.stats.load_ns += start.elapsed().as_nanos() as u64;
        r
    }

    fn pack_damaged<T>(&mut self, path: &Path, why: String) -> Option<T> {
        self.warnings.push(format!(
            "code heap pack {} is unusable ({why}); it is rebuilt",
            path.display()
        ));
        let _ = fs::remove_file(path);
        None
    }

    /// Publishes `id`'s pack holding `funcs` (slot, heap key, code), atomically like an
    /// entry. A failure is the same single warning as an entry's.
    pub fn store_pack(&mut self, id: &pack::PackId, funcs: &[(u32, Key, &[u8])]) {
        if !self.writable {
            return;
        }
        let bytes = pack::encode(id, &self.fingerprint, funcs);
        let path = self.pack_path(&id.image);
        let write = |attempt: u32| -> std::io::Result<()> {
            #[cfg(feature = "fault-injection")]
            fault::before_write()?;
            fs::create_dir_all(&self.dir)?;
            let tmp = temp_path(&self.dir, &id.image);
            let r = (|| {
                let mut f = File::create(&tmp)?;
                f.write_all(&bytes)?;
                f.sync_data()?;
                #[cfg(feature = "fault-injection")]
                fault::before_rename(&self.dir, attempt)?;
                #[cfg(not(feature = "fault-injection"))]
                let _ = attempt;
                fs::rename(&tmp, &path)
            })();
            if r.is_err() {
                let _ = fs::remove_file(&tmp);
            }
            r
        };
        // As for an entry: a concurrent `clear` may remove the folder between two steps.
        if let Err(e) = write(0).or_else(|_| write(1)) {
            self.writable = false;
            self.warnings.push(format!(
                "cannot write to the code heap at {} ({e}); this run continues without saving compiled code",
                self.dir.display()
            ));
        }
    }

    /// Whether the entry for `key` is there and whole (read and checked as `load` does,
    /// without counting it as a load; a damaged one is reported and removed).
    pub fn holds(&mut self, key: &Key) -> bool {
        self.read_entry(key).is_some()
    }

    /// Whether a file for `key` is there, without reading it (a damaged one is found when
    /// it is loaded): enough to decide not to compile a function ahead of its first call.
    pub fn has_file(&self, key: &Key) -> bool {
        self.path_of(key).is_file()
    }

    /// Reads and checks the entry for `key` into `buf`: its length and description. A
    /// damaged entry is reported in `warnings` and removed, so it is rebuilt.
    fn read_entry(&mut self, key: &Key) -> Option<(usize, EntryInfo)> {
        let path = self.path_of(key);
        let n = read_small(&path, &mut self.buf).ok()?;
        match check_entry(&self.buf[..n], Some(key), Some(&self.fingerprint)) {
            Ok(info) => Some((n, info)),
            Err(why) => {
                self.warnings.push(format!(
                    "code heap entry {} is unusable ({why}); it is rebuilt",
                    path.display()
                ));
                let _ = fs::remove_file(&path);
                None
            }
        }
    }

    fn path_of(&self, key: &Key) -> PathBuf {
        self.dir.join(format!("{}.{EXT}", key.hex()))
    }

    /// The machine code of the entry for `key`, if there is a valid one. A damaged entry
    /// is reported in `warnings` and removed, so it is rebuilt.
    pub fn load(&mut self, key: &Key) -> Option<Vec<u8>> {
        let start = std::time::Instant::now();
        let r = self.read_entry(key).map(|(n, info)| {
            self.stats.bytes_loaded += n as u64;
            self.buf[HEADER..HEADER + info.code_len].to_vec()
        });
        self.stats.load_ns += start.elapsed().as_nanos() as u64;
        match &r {
            Some(_) => self.stats.hits += 1,
            None => self.stats.misses += 1,
        }
        r
    }

    /// Publishes an entry (atomically: temporary file, then rename). A failure — read-only
    /// or full folder — is one warning, after which the run continues uncached.
    pub fn store(&mut self, key: &Key, code: &[u8], name: &str, callees: &[String]) {
        if !self.writable {
            return;
        }
        let mut r = self.try_store(key, code, name, callees, 0);
        if r.as_ref().is_err_and(|e| {
            use std::io::ErrorKind::{AlreadyExists, NotFound};
            matches!(e.kind(), NotFound | AlreadyExists)
        }) {
            // A concurrent `nvm cache clear` removed the folder or the temporary file
            // between two steps: once more before giving up.
            r = self.try_store(key, code, name, callees, 1);
        }
        if let Err(e) = r {
            self.writable = false;
            self.warnings.push(format!(
                "cannot write to the code heap at {} ({e}); this run continues without saving compiled code",
                self.dir.display()
            ));
        } else {
            self.stats.writes += 1;
        }
    }

    fn try_store(
        &self,
        key: &Key,
        code: &[u8],
        name: &str,
        callees: &[String],
        attempt: u32,
    ) -> std::io::Result<()> {
        // Test builds only (see `fault`): a full disk here, a `clear` before the rename.
        #[cfg(feature = "fault-injection")]
        fault::before_write()?;
        #[cfg(not(feature = "fault-injection"))]
        let _ = attempt; // only the fault hook tells a retry from the first attempt
        fs::create_dir_all(&self.dir)?;
        let bytes = encode_entry(key, &self.fingerprint, code, name, callees);
        let tmp = temp_path(&self.dir, key);
        let result = (|| {
            let mut f = File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_data()?;
            #[cfg(feature = "fault-injection")]
            fault::before_rename(&self.dir, attempt)?;
            fs::rename(&tmp, self.path_of(key))
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }
}

/// The bytes of an entry file.
pub fn encode_entry(
    key: &Key,
    fingerprint: &[u8; 16],
    code: &[u8],
    name: &str,
    callees: &[String],
) -> Vec<u8> {
    let mut meta = String::from(name);
    for c in callees {
        meta.push('\n');
        meta.push_str(c);
    }
    let mut body = Vec::with_capacity(code.len() + meta.len());
    body.extend_from_slice(code);
    body.extend_from_slice(meta.as_bytes());
    let mut out = Vec::with_capacity(HEADER + body.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(HEADER as u32).to_le_bytes());
    out.extend_from_slice(&key.0);
    out.extend_from_slice(fingerprint);
    out.extend_from_slice(&(code.len() as u32).to_le_bytes());
    out.extend_from_slice(&(meta.len() as u32).to_le_bytes());
    out.extend_from_slice(&xxhash_rust::xxh3::xxh3_64(&body).to_le_bytes());
    debug_assert_eq!(out.len(), HEADER);
    out.extend_from_slice(&body);
    out
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

/// Checks an entry's bytes; returns its description. `want_key`/`want_fp`: what it must
/// be for (None: any key, for `verify`).
pub fn check_entry(
    b: &[u8],
    want_key: Option<&Key>,
    want_fp: Option<&[u8; 16]>,
) -> Result<EntryInfo, String> {
    if b.len() < HEADER {
        return Err(format!("truncated: {} bytes, less than a header", b.len()));
    }
    if &b[0..8] != MAGIC {
        return Err("not a code heap entry (bad magic)".into());
    }
    let version = u32_at(b, 8);
    if version != FORMAT_VERSION {
        return Err(format!(
            "format version {version}, this nvm reads {FORMAT_VERSION}"
        ));
    }
    if u32_at(b, 12) as usize != HEADER {
        return Err("unexpected header size".into());
    }
    let key: [u8; 16] = b[16..32].try_into().expect("16 bytes");
    let fingerprint: [u8; 16] = b[32..48].try_into().expect("16 bytes");
    if want_key.is_some_and(|k| k.0 != key) {
        return Err("its key does not match its file name".into());
    }
    if want_fp.is_some_and(|f| *f != fingerprint) {
        return Err("compiled for another nvm version or CPU".into());
    }
    let code_len = u32_at(b, 48) as usize;
    let meta_len = u32_at(b, 52) as usize;
    if b.len() != HEADER + code_len + meta_len {
        return Err(format!(
            "truncated or padded: {} bytes, the header says {}",
            b.len(),
            HEADER + code_len + meta_len
        ));
    }
    let sum = u64::from_le_bytes(b[56..64].try_into().expect("8 bytes"));
    if xxhash_rust::xxh3::xxh3_64(&b[HEADER..]) != sum {
        return Err("checksum mismatch (the file was damaged)".into());
    }
    if code_len == 0 {
        return Err("empty code".into());
    }
    let meta = std::str::from_utf8(&b[HEADER + code_len..])
        .map_err(|_| "metadata is not text".to_string())?;
    let mut lines = meta.split('\n');
    let name = lines.next().unwrap_or("").to_string();
    Ok(EntryInfo {
        fingerprint,
        code_len,
        name,
        callees: lines.map(String::from).collect(),
    })
}

/// Every entry file of every target folder under `root`: (path, size).
pub fn list_entries(root: &Path) -> Vec<(PathBuf, u64)> {
    let mut out = Vec::new();
    let Ok(dirs) = fs::read_dir(root) else {
        return out;
    };
    for d in dirs.flatten() {
        let Ok(files) = fs::read_dir(d.path()) else {
            continue;
        };
        for f in files.flatten() {
            let p = f.path();
            if p.extension().is_some_and(|e| e == EXT) {
                let size = f.metadata().map_or(0, |m| m.len());
                out.push((p, size));
            }
        }
    }
    out.sort();
    out
}
