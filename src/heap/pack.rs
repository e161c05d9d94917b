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

/// The checksum of a pack file: xxh3-64 of everything after the header, seeded with the
/// hash of the header's other fields (so a damaged count or key is caught too).
fn checksum(b: &[u8]) -> u64 {
    let seed = xxhash_rust::xxh3::xxh3_64(&b[..56]);
    xxhash_rust::xxh3::xxh3_64_with_seed(&b[HEADER..], seed)
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
    let sum = checksum(&out);
    out[56..64].copy_from_slice(&sum.to_le_bytes());
    out
}

/// Checks a pack file's bytes: header, length, checksum, and that every record lies in
/// the code area, aligned, for a distinct slot below `n_slots` (`None`: any). It does not
/// judge whether the pack is current (see [`PackInfo::matches`]).
pub fn check(b: &[u8], n_slots: Option<usize>) -> Result<PackInfo, String> {
    if b.len() < HEADER {
        return Err(format!("truncated: {} bytes, less than a header", b.len()));
    }
    if &b[0..8] != MAGIC {
        return Err("not a code pack (bad magic)".into());
    }
    let version = u32_at(b, 8);
    if version != PACK_VERSION {
        return Err(format!("pack version {version}, this nvm reads {PACK_VERSION}"));
    }
    let count = u32_at(b, 12) as usize;
    let code_at = (HEADER + RECORD * count).next_multiple_of(ALIGN);
    if b.len() < code_at {
        return Err(format!(
            "truncated: {} bytes, {count} records need {code_at}",
            b.len()
        ));
    }
    if checksum(b) != u64_at(b, 56) {
        return Err("checksum mismatch (the file was damaged)".into());
    }
    let area = b.len() - code_at;
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
