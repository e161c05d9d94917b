//! Packs: the machine code one program used, in one file, so a warm run reads one file
//! instead of one entry per specialization.
//!
//! ```text
//!  ROOT/v1-<target>/<image key>.nkp    one pack per run image and target
//! ```
//! A pack is a *derived* cache, like the run image it belongs to: every function in it is
//! also an entry of the heap (the same bytes under the same key; `nvm cache verify`
//! compares them), and the entries stay the heap's one copy of each specialization —
//! shared between programs, looked up by key when a pack misses. A pack only saves a
//! program the thousand opens and reads of its entries.
//!
//! **Validity.** A pack is for one run image (its key names the file) *and one content
//! of it*: the header holds the image's payload checksum, so an image rewritten under the
//! same key (an imported file was edited) makes its pack stale — a silent miss, replaced
//! at the end of that run. It is also for one target: it lives in the target's folder and
//! its header holds the target fingerprint (nvm build, code generator, CPU features). The
//! heap key of each function is a function of the image's bytecode and signatures and of
//! the fingerprint, so a pack whose image and fingerprint match holds exactly the code
//! the entries would give; loading it computes no key.
//!
//! A **pack file** (little endian): a 64-byte header — magic `NVMPACK\0`, format version
//! (u32), function count (u32), image key (16 bytes), target fingerprint (16 bytes), the
//! image payload's checksum (u64), xxh3-64 checksum of everything after the header, seeded
//! with the hash of the header's other fields (u64)
//! — then one 32-byte record per function — slot (u32), offset (u32) and length (u32) of
//! its code in the code area, 4 zero bytes, heap key (16 bytes) — padded to 64 bytes,
//! then the code area: every function's code at a 64-byte aligned offset (as in an entry),
//! so the whole area is copied into executable memory at once and each function runs
//! where it lands.
//!
//! Written like entries (temporary file, rename). A damaged pack (bad header, length,
//! checksum, records out of range) is a warning, removed, and a miss — the run loads the
//! entries one by one and writes a good pack — never a crash.

use super::key::Key;
use std::path::{Path, PathBuf};

/// Bumped whenever the pack layout changes.
pub const PACK_VERSION: u32 = 1;
const MAGIC: &[u8; 8] = b"NVMPACK\0";
const HEADER: usize = 64;
const RECORD: usize = 32;
/// Code alignment inside the code area (as entries align their code).
pub const ALIGN: usize = 64;
/// Extension of pack files.
pub const PACK_EXT: &str = "nkp";

/// Which pack a program uses: its run image's key and the checksum of that image's
/// payload (an image rewritten under the same key has another).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PackId {
    pub image: Key,
    pub digest: u64,
}

/// One function of a pack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    /// Its slot in the program of the pack's image.
    pub slot: u32,
    /// Its heap key (the entry holding the same code).
    pub key: Key,
    /// Where its code is in the code area.
    pub offset: usize,
    pub len: usize,
}

/// What a pack file holds: the header's fields, the records and the code area's range
/// in the file.
pub struct PackInfo {
    pub image: Key,
    pub fingerprint: [u8; 16],
    pub digest: u64,
    pub records: Vec<Record>,
    /// The code area: `bytes[code_at..]`.
    pub code_at: usize,
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

/// The checksum of a pack file whose first bytes (header and records) are `head` and the
/// rest `area`: xxh3-64 of everything after the header, seeded with the hash of the
/// header's other fields (so a damaged count or key is caught too).
fn checksum(head: &[u8], area: &[u8]) -> u64 {
    let mut h = xxhash_rust::xxh3::Xxh3::with_seed(xxhash_rust::xxh3::xxh3_64(&head[..56]));
    h.update(&head[HEADER..]);
    h.update(area);
    h.digest()
}

/// The file name of `id`'s pack in a target folder.
pub fn file_name(image: &Key) -> String {
    format!("{}.{PACK_EXT}", image.hex())
}

/// The bytes of a pack file holding `funcs` (slot, heap key, code), in that order.
pub fn encode(id: &PackId, fingerprint: &[u8; 16], funcs: &[(u32, Key, &[u8])]) -> Vec<u8> {
    let code_at = (HEADER + RECORD * funcs.len()).next_multiple_of(ALIGN);
    let mut out = vec![0u8; code_at];
    let mut records = Vec::with_capacity(RECORD * funcs.len());
    for (slot, key, code) in funcs {
        let offset = out.len() - code_at;
        records.extend_from_slice(&slot.to_le_bytes());
        records.extend_from_slice(&(offset as u32).to_le_bytes());
        records.extend_from_slice(&(code.len() as u32).to_le_bytes());
        records.extend_from_slice(&[0; 4]);
        records.extend_from_slice(&key.0);
        out.extend_from_slice(code);
        out.resize(out.len().next_multiple_of(ALIGN), 0);
    }
    out[HEADER..HEADER + records.len()].copy_from_slice(&records);
    out[0..8].copy_from_slice(MAGIC);
    out[8..12].copy_from_slice(&PACK_VERSION.to_le_bytes());
    out[12..16].copy_from_slice(&(funcs.len() as u32).to_le_bytes());
    out[16..32].copy_from_slice(&id.image.0);
    out[32..48].copy_from_slice(fingerprint);
    out[48..56].copy_from_slice(&id.digest.to_le_bytes());
    let sum = checksum(&out, &[]);
    out[56..64].copy_from_slice(&sum.to_le_bytes());
    out
}

/// Checks a pack file's bytes: header, length, checksum, and that every record lies in
/// the code area, aligned, for a distinct slot below `n_slots` (`None`: any). It does not
/// judge whether the pack is current (see [`PackInfo::matches`]).
pub fn check(b: &[u8], n_slots: Option<usize>) -> Result<PackInfo, String> {
    let code_at = head_len(b.get(..HEADER).unwrap_or(b), b.len())?;
    let info = check_head(&b[..code_at], b.len(), n_slots)?;
    check_sum(&b[..code_at], &b[code_at..])?;
    Ok(info)
}

/// How many bytes of a pack file of `file_len` bytes come before its code area (header,
/// records, padding), judged from its header (at least its first `HEADER` bytes).
pub fn head_len(header: &[u8], file_len: usize) -> Result<usize, String> {
    if header.len() < HEADER || file_len < HEADER {
        return Err(format!("truncated: {file_len} bytes, less than a header"));
    }
    if &header[0..8] != MAGIC {
        return Err("not a code pack (bad magic)".into());
    }
    let version = u32_at(header, 8);
    if version != PACK_VERSION {
        return Err(format!("pack version {version}, this nvm reads {PACK_VERSION}"));
    }
    let count = u32_at(header, 12) as usize;
    let code_at = (HEADER + RECORD * count).next_multiple_of(ALIGN);
    if file_len < code_at {
        return Err(format!(
            "truncated: {file_len} bytes, {count} records need {code_at}"
        ));
    }
    Ok(code_at)
}

/// Whether the checksum in `head` (the bytes before the code area) covers `head` and
/// `area` (the rest of the file).
pub fn check_sum(head: &[u8], area: &[u8]) -> Result<(), String> {
    if checksum(head, area) != u64_at(head, 56) {
        return Err("checksum mismatch (the file was damaged)".into());
    }
    Ok(())
}

/// Reads the header and records (`head`: the file's first [`head_len`] bytes, of a file
/// of `file_len` bytes); every record must lie in the code area, aligned, for a distinct
/// slot below `n_slots` (`None`: any). The checksum is [`check_sum`]'s.
pub fn check_head(b: &[u8], file_len: usize, n_slots: Option<usize>) -> Result<PackInfo, String> {
    let code_at = head_len(b, file_len)?;
    if b.len() != code_at {
        return Err(format!("truncated: {} bytes before the code area, not {code_at}", b.len()));
    }
    let count = u32_at(b, 12) as usize;
    let area = file_len - code_at;
    let mut seen = std::collections::HashSet::with_capacity(count);
    let mut records = Vec::with_capacity(count);
    for i in 0..count {
        let r = &b[HEADER + RECORD * i..HEADER + RECORD * (i + 1)];
        let rec = Record {
            slot: u32_at(r, 0),
            offset: u32_at(r, 4) as usize,
            len: u32_at(r, 8) as usize,
            key: Key(r[16..32].try_into().expect("16 bytes")),
        };
        if rec.len == 0 || !rec.offset.is_multiple_of(ALIGN) || rec.offset + rec.len > area {
            return Err(format!("record {i} lies outside the code area"));
        }
        let in_range = n_slots.is_none_or(|n| (rec.slot as usize) < n);
        if !in_range || !seen.insert(rec.slot) {
            return Err(format!("record {i} names a slot twice or out of range"));
        }
        records.push(rec);
    }
    Ok(PackInfo {
        image: Key(b[16..32].try_into().expect("16 bytes")),
        fingerprint: b[32..48].try_into().expect("16 bytes"),
        digest: u64_at(b, 48),
        records,
        code_at,
    })
}

/// A pack file being read: its header and records are read and checked, its code area is
/// still in the file, to be read straight into the caller's memory
/// ([`PackFile::read_area`]), so the code is copied once, from the page cache to the
/// executable memory it runs in.
pub struct PackFile {
    file: std::fs::File,
    head: Vec<u8>,
    area_len: usize,
    pub info: PackInfo,
}

/// Why a pack could not be read: there is none (or it cannot be opened: a miss like no
/// file), or it is damaged (the reason).
pub enum ReadError {
    Absent,
    Damaged(String),
}

impl From<String> for ReadError {
    fn from(why: String) -> Self {
        ReadError::Damaged(why)
    }
}

impl PackFile {
    /// Opens the pack at `path` and reads its header and records (see [`check_head`]).
    pub fn open(path: &Path, n_slots: usize) -> Result<PackFile, ReadError> {
        use std::io::Read;
        let mut file = std::fs::File::open(path).map_err(|_| ReadError::Absent)?;
        let file_len = file.metadata().map_err(|_| ReadError::Absent)?.len();
        let file_len = usize::try_from(file_len).map_err(|_| "too large".to_string())?;
        let mut head = vec![0u8; HEADER.min(file_len)];
        let io = |e: std::io::Error| ReadError::Damaged(format!("unreadable: {e}"));
        file.read_exact(&mut head).map_err(io)?;
        let code_at = head_len(&head, file_len)?;
        head.resize(code_at, 0);
        file.read_exact(&mut head[HEADER..]).map_err(io)?;
        let info = check_head(&head, file_len, Some(n_slots))?;
        Ok(PackFile {
            file,
            head,
            area_len: file_len - info.code_at,
            info,
        })
    }

    /// The length of the code area.
    pub fn area_len(&self) -> usize {
        self.area_len
    }

    /// Reads the code area into `area` (exactly [`PackFile::area_len`] bytes) and checks
    /// the whole file's checksum.
    pub fn read_area(mut self, area: &mut [u8]) -> Result<PackInfo, String> {
        use std::io::Read;
        if area.len() != self.area_len {
            return Err("code area of another length".into());
        }
        // A file shortened since it was opened (truncated in place) is damaged.
        self.file
            .read_exact(area)
            .map_err(|e| format!("truncated or unreadable code area: {e}"))?;
        check_sum(&self.head, area)?;
        Ok(self.info)
    }
}

impl PackInfo {
    /// Whether this pack is for `id`'s image content and this target.
    pub fn matches(&self, id: &PackId, fingerprint: &[u8; 16]) -> bool {
        self.image == id.image && self.digest == id.digest && self.fingerprint == *fingerprint
    }
}

/// The image key a pack file's name says (`None`: not a pack's name).
pub fn key_of_path(p: &Path) -> Option<Key> {
    if p.extension()? != PACK_EXT {
        return None;
    }
    super::image::key_of_path(&p.with_extension(super::image::IMAGE_EXT))
}

/// Every pack file in the target folders under `root` (`v*/KEY.nkp`): (path, size).
pub fn list(root: &Path) -> Vec<(PathBuf, u64)> {
    let mut out = Vec::new();
    for d in std::fs::read_dir(root).into_iter().flatten().flatten() {
        for f in std::fs::read_dir(d.path()).into_iter().flatten().flatten() {
            let p = f.path();
            if p.extension().is_some_and(|e| e == PACK_EXT) {
                out.push((p, f.metadata().map_or(0, |m| m.len())));
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id() -> PackId {
        PackId {
            image: Key([7; 16]),
            digest: 42,
        }
    }

    fn sample() -> Vec<u8> {
        let a = vec![0x90u8; 100];
        let b = vec![0xc3u8; 65];
        encode(&id(), &[3; 16], &[(2, Key([1; 16]), &a), (0, Key([2; 16]), &b)])
    }

    #[test]
    fn a_pack_reads_back_with_aligned_code() {
        let bytes = sample();
        let info = check(&bytes, Some(3)).expect("valid");
        assert!(info.matches(&id(), &[3; 16]));
        assert!(!info.matches(&PackId { digest: 43, ..id() }, &[3; 16]), "stale image");
        assert!(!info.matches(&id(), &[4; 16]), "other target");
        assert_eq!(info.records.len(), 2);
        let r = info.records[1];
        assert_eq!((r.slot, r.key, r.offset % ALIGN, r.len), (0, Key([2; 16]), 0, 65));
        let code = &bytes[info.code_at + r.offset..][..r.len];
        assert!(code.iter().all(|&c| c == 0xc3));
    }

    #[test]
    fn every_damage_is_an_error_never_a_panic() {
        let bytes = sample();
        for n in 0..bytes.len() {
            assert!(check(&bytes[..n], Some(3)).is_err(), "prefix of {n} bytes");
        }
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x10;
            assert!(check(&b, Some(3)).is_err(), "flipped byte {i}");
        }
        assert!(check(&sample(), Some(2)).is_err(), "slot out of range");
    }
}
