//! Bytes as a code heap entry file: `check_entry` on the raw bytes, then on the same bytes
//! with a consistent header (magic, version, lengths, checksum fixed up, so the fuzzer gets
//! past the checksum to the metadata), then `CodeHeap::load` and `nvm cache stats/verify`
//! over a folder holding it; and the bytes as a pack (`heap::pack::check`). Must never
//! panic; a well-formed entry must load exactly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nvm::heap::{self, check_entry, CodeHeap, Key};
use std::path::PathBuf;
use std::sync::OnceLock;

const HEADER: usize = 64;

fn root() -> &'static PathBuf {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let r = std::env::temp_dir().join(format!("nvm-fuzz-heap-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&r);
        r
    })
}

/// `data` with a header that agrees with it: the fuzzer controls key, fingerprint, the
/// split between code and metadata (from the code-length field) and the body.
fn fixed_up(data: &[u8]) -> Option<Vec<u8>> {
    if data.len() < HEADER {
        return None;
    }
    let mut b = data.to_vec();
    let body = b.len() - HEADER;
    let code_len = u32::from_le_bytes(b[48..52].try_into().unwrap()) as usize % (body + 1);
    b[0..8].copy_from_slice(b"NVMHEAP\0");
    b[8..12].copy_from_slice(&heap::FORMAT_VERSION.to_le_bytes());
    b[12..16].copy_from_slice(&(HEADER as u32).to_le_bytes());
    b[48..52].copy_from_slice(&(code_len as u32).to_le_bytes());
    b[52..56].copy_from_slice(&((body - code_len) as u32).to_le_bytes());
    let sum = xxhash_rust::xxh3::xxh3_64(&b[HEADER..]);
    b[56..64].copy_from_slice(&sum.to_le_bytes());
    Some(b)
}

fn load_through_folder(bytes: &[u8]) {
    let mut key = [0u8; 16];
    let mut fp = [0u8; 16];
    if bytes.len() >= 48 {
        key.copy_from_slice(&bytes[16..32]);
        fp.copy_from_slice(&bytes[32..48]);
    }
    let key = Key(key);
    let mut h = CodeHeap::open(root(), fp);
    std::fs::create_dir_all(h.dir()).expect("temp heap folder");
    let path = h.dir().join(format!("{}.{}", key.hex(), heap::EXT));
    std::fs::write(&path, bytes).expect("write entry");
    let expected = check_entry(bytes, Some(&key), Some(&fp));
    // The cache commands read every entry.
    let _ = heap::manage::stats(root());
    let _ = heap::manage::verify(root());
    let got = h.load(&key);
    match expected {
        Ok(info) => {
            assert_eq!(
                got.as_deref(),
                Some(&bytes[HEADER..HEADER + info.code_len]),
                "a valid entry must load as its code"
            );
            assert!(h.warnings.is_empty(), "{:?}", h.warnings);
        }
        Err(_) => {
            assert!(got.is_none(), "an invalid entry was loaded");
            assert!(!path.exists(), "an invalid entry must be removed");
        }
    }
    let _ = std::fs::remove_file(&path);
    // Each fingerprint is a folder of its own: leave none behind, or every later
    // `stats`/`verify` walks them all.
    let _ = std::fs::remove_dir(h.dir());
}

fuzz_target!(|data: &[u8]| {
    if let Ok(info) = check_entry(data, None, None) {
        assert!(HEADER + info.code_len <= data.len());
    }
    // The same bytes as a pack (`heap::pack`): judged without a panic, and every function
    // of an accepted one lies inside the file.
    if let Ok(info) = heap::pack::check(data, None) {
        for r in &info.records {
            assert!(info.code_at + r.offset + r.len <= data.len());
        }
    }
    load_through_folder(data);
    if let Some(b) = fixed_up(data) {
        let info = check_entry(&b, None, None);
        // Only an empty code section or non-UTF-8 metadata can still be refused.
        if let Err(e) = &info {
            assert!(
                e.contains("empty code") || e.contains("not text"),
                "a consistent entry was refused: {e}"
            );
        }
        load_through_folder(&b);
    }
});
