//! Generates the parser from grammar/nk.lalrpop, and fingerprints the sources that shape
//! native code (so the code heap never loads code another build of nvm produced), and
//! everything that shapes a checked program (so no run image another build made is used).
use std::path::Path;

/// Sources whose change changes the machine code for the same bytecode: the code
/// generator and native ABI, the helpers' contract, and the runtime layout it reads.
const CODEGEN_SOURCES: &[&str] = &[
    "src/jit",
    "src/abi",
    "src/vm/bridge.rs",
    "src/bytecode/mod.rs",
    "src/runtime/array",
];

fn fnv(hash: &mut u64, bytes: &[u8]) {
    for b in bytes {
        *hash ^= *b as u64;
        *hash = hash.wrapping_mul(0x100_0000_01b3);
    }
}

fn hash_path(p: &Path, hash: &mut u64) {
    println!("cargo:rerun-if-changed={}", p.display());
    if p.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(p)
            .expect("readable source folder")
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        for e in entries {
            hash_path(&e, hash);
        }
    } else if let Ok(bytes) = std::fs::read(p) {
        fnv(hash, p.to_string_lossy().as_bytes());
        fnv(hash, &bytes);
    }
}

fn main() {
    println!("cargo:rerun-if-changed=grammar/nk.lalrpop");
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for s in CODEGEN_SOURCES {
        hash_path(Path::new(s), &mut hash);
    }
    println!("cargo:rustc-env=NVM_CODEGEN_HASH={hash:016x}");
    // Everything that shapes a checked program and its bytecode (the front end, the
    // stdlib, the grammar): part of the run image's key, so an image made by another
    // build of nvm is never used.
    let mut front = 0xcbf2_9ce4_8422_2325u64;
    for s in ["src", "stdlib", "grammar"] {
        hash_path(Path::new(s), &mut front);
    }
    println!("cargo:rustc-env=NVM_FRONTEND_HASH={front:016x}");
    lalrpop::Configuration::new()
        .set_in_dir("grammar")
        .set_out_dir(std::env::var("OUT_DIR").expect("OUT_DIR set by cargo"))
        .process()
        .expect("lalrpop failed to generate the nk parser");
}
