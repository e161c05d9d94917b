//! Run images: what `nvm run`/`nvm build` need to run a program without loading, parsing,
//! checking or lowering it, cached beside the code heap's entries.
//!
//! ```text
//!  ROOT/img-v2/<key>.nki    one image per program (32 hex digits: its key)
//! ```
//! The **key** (computed by the CLI's pipeline, `driver`) hashes the script's name, path
//! and text, the module search path, the embedded standard library and the front end's
//! build fingerprint. What the key cannot cover — the files the script imports, found by
//! parsing — is in the image: every loaded file's name and text (the source map, needed
//! anyway to render runtime errors) and the files the import lookup found absent. A hit is
//! used only if each imported file still has the same text and each absent file is still
//! absent; otherwise the program is checked again and a new image written.
//!
//! An **image file** (little endian): a 48-byte header — magic `NVMIMAGE`, format version
//! (u32), 4 zero bytes, key (16 bytes), payload length (u64), xxh3-64 checksum of the
//! payload (u64) — then the payload ([`bytecode::encode`] varints): the source map, the
//! absent files, the script's slot, `main` (slot, parameter names and types), then per
//! specialization its name, span, parameter types, return type and bytecode. Written like
//! heap entries (temporary file, rename); a damaged image (bad header, length, checksum,
//! or contents that do not decode and verify) is refused — a miss, never a crash.

use super::key::Key;
use crate::bytecode::encode::{get_fn, get_type, put_fn, put_type, Reader, Writer};
use crate::bytecode::CompiledFn;
use crate::ir::{Func, Local, MainFn, Program};
use crate::source::{SourceFile, SourceMap, Span};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Bumped whenever the image layout changes.
pub const IMAGE_VERSION: u32 = 2;
const MAGIC: &[u8; 8] = b"NVMIMAGE";
const HEADER: usize = 48;
/// Extension of image files.
pub const IMAGE_EXT: &str = "nki";

/// The folder of run images under a heap root.
pub fn image_dir(root: &Path) -> PathBuf {
    root.join(format!("img-v{IMAGE_VERSION}"))
}

/// Whether `dir` (a folder of a heap root) holds run images.
pub fn is_image_dir(dir: &Path) -> bool {
    dir.file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with("img-v"))
}

/// A program as a run needs it.
pub struct Image {
    /// Every loaded file; file 0 is the script.
    pub sources: SourceMap,
    /// Files the import lookup did not find: the image is stale if one appears.
    pub absent: Vec<PathBuf>,
    /// Each specialization's name, span and signature (parameters are its first locals,
    /// unnamed; bodies are empty: the code is `bytecode`).
    pub program: Program,
    /// Each specialization's bytecode, by slot.
    pub bytecode: Vec<CompiledFn>,
    /// The payload's checksum ([`digest`]; set by [`load`]), which names this content of
    /// the image (the code heap's pack for the program records it).
    pub digest: u64,
}

/// The checksum of an image payload, as its header records it.
pub fn digest(payload: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(payload)
}

fn put_span(s: Span, w: &mut Writer) {
    w.u64(s.file as u64);
    w.u64(s.lo as u64);
    w.u64(s.hi as u64);
}

fn get_span(r: &mut Reader) -> Option<Span> {
    Some(Span {
        file: r.u32()?,
        lo: r.u32()?,
        hi: r.u32()?,
    })
}

/// The payload of an image (a checked program, its bytecode, its sources).
pub fn encode(
    sources: &SourceMap,
    absent: &[PathBuf],
    prog: &Program,
    bytecode: &[&CompiledFn],
) -> Vec<u8> {
    let mut w = Writer::default();
    w.u64(sources.files.len() as u64);
    for f in &sources.files {
        w.str(&f.name);
        w.str(&f.text);
        w.bool(f.is_stdlib);
    }
    w.u64(absent.len() as u64);
    for p in absent {
        w.str(&p.to_string_lossy());
    }
    w.u64(prog.script as u64);
    match &prog.main {
        None => w.bool(false),
        Some(m) => {
            w.bool(true);
            w.u64(m.func as u64);
            w.u64(m.params.len() as u64);
            for (name, t) in &m.params {
                w.str(name);
                put_type(t, &mut w);
            }
        }
    }
    w.u64(prog.funcs.len() as u64);
    for (f, bc) in prog.funcs.iter().zip(bytecode) {
        w.str(&f.name);
        put_span(f.span, &mut w);
        w.u64(f.params.len() as u64);
        for &p in &f.params {
            put_type(&f.locals[p as usize].ty, &mut w);
        }
        put_type(&f.ret, &mut w);
        put_fn(bc, &mut w);
    }
    w.buf
}

/// Reads a payload back; `None` if anything is malformed.
pub fn decode(b: &[u8]) -> Option<Image> {
    let mut r = Reader::new(b);
    let mut sources = SourceMap::default();
    for _ in 0..r.count()? {
        sources.files.push(SourceFile {
            name: r.str()?.to_string(),
            text: r.str()?.to_string(),
            is_stdlib: r.bool()?,
        });
    }
    let mut absent = Vec::new();
    for _ in 0..r.count()? {
        absent.push(PathBuf::from(r.str()?));
    }
    let script = r.u32()?;
    let main = match r.bool()? {
        false => None,
        true => {
            let func = r.u32()?;
            let mut params = Vec::new();
            for _ in 0..r.count()? {
                params.push((r.str()?.to_string(), get_type(&mut r)?));
            }
            Some(MainFn { func, params })
        }
    };
    let n = r.count()?;
    let n_files = sources.files.len() as u32;
    let mut funcs = Vec::with_capacity(n);
    let mut bytecode = Vec::with_capacity(n);
    for id in 0..n {
        let name = r.str()?.to_string();
        let span = get_span(&mut r)?;
        let n_params = r.count()?;
        let mut locals = Vec::with_capacity(n_params);
        for _ in 0..n_params {
            locals.push(Local {
                name: String::new(),
                ty: get_type(&mut r)?,
            });
        }
        let ret = get_type(&mut r)?;
        let f = get_fn(&mut r, n)?;
        // Spans index the source map (errors render them).
        if f.func as usize != id || span.file >= n_files || f.spans.iter().any(|s| s.file >= n_files)
        {
            return None;
        }
        funcs.push(Func {
            name,
            params: (0..n_params as u32).collect(),
            locals,
            ret,
            body: Vec::new(),
            span,
        });
        bytecode.push(f);
    }
    if !r.at_end() || script as usize >= n || main.as_ref().is_some_and(|m| m.func as usize >= n)
    {
        return None;
    }
    Some(Image {
        sources,
        absent,
        program: Program {
            funcs,
            script,
            main,
        },
        bytecode,
        digest: 0,
    })
}

/// The bytes of an image file.
pub fn file_bytes(key: &Key, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&IMAGE_VERSION.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&key.0);
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&digest(payload).to_le_bytes());
    debug_assert_eq!(out.len(), HEADER);
    out.extend_from_slice(payload);
    out
}

/// Checks an image file's header, length and checksum (`want`: the key it must be for;
/// `None`: the one its header names); returns its payload.
pub fn check_file<'b>(b: &'b [u8], want: Option<&Key>) -> Result<&'b [u8], String> {
    if b.len() < HEADER {
        return Err(format!("truncated: {} bytes, less than a header", b.len()));
    }
    if &b[0..8] != MAGIC {
        return Err("not a run image (bad magic)".into());
    }
    let version = u32::from_le_bytes(b[8..12].try_into().expect("4 bytes"));
    if version != IMAGE_VERSION {
        return Err(format!(
            "image version {version}, this nvm reads {IMAGE_VERSION}"
        ));
    }
    if want.is_some_and(|k| k.0 != b[16..32]) {
        return Err("its key does not match its file name".into());
    }
    let len = u64::from_le_bytes(b[32..40].try_into().expect("8 bytes"));
    if b.len() as u64 != HEADER as u64 + len {
        return Err(format!(
            "truncated or padded: {} bytes, the header says {}",
            b.len(),
            HEADER as u64 + len
        ));
    }
    let sum = u64::from_le_bytes(b[40..48].try_into().expect("8 bytes"));
    if digest(&b[HEADER..]) != sum {
        return Err("checksum mismatch (the file was damaged)".into());
    }
    Ok(&b[HEADER..])
}

/// The key an image file's name says (`None`: not an image's name).
pub fn key_of_path(p: &Path) -> Option<Key> {
    let stem = p.file_stem()?.to_str()?;
    if stem.len() != 32 || p.extension()? != IMAGE_EXT {
        return None;
    }
    let mut k = [0u8; 16];
    for (i, b) in k.iter_mut().enumerate() {
        *b = u8::from_str_radix(stem.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(Key(k))
}

/// Checks a whole image file as a loader would (header, checksum, key, contents).
pub fn verify_file(p: &Path, b: &[u8]) -> Result<(), String> {
    let key = key_of_path(p).ok_or("file name is not a key")?;
    let payload = check_file(b, Some(&key))?;
    decode(payload).map(|_| ()).ok_or_else(|| "contents do not decode".to_string())
}

fn path_of(root: &Path, key: &Key) -> PathBuf {
    image_dir(root).join(format!("{}.{IMAGE_EXT}", key.hex()))
}

/// The image for `key` under `root`: `Ok(None)` if there is none, `Err` (a warning's text)
/// if there is a damaged one — which is then removed, so the next run writes a good one.
pub fn load(root: &Path, key: &Key) -> Result<Option<Image>, String> {
    let path = path_of(root, key);
    let Ok(bytes) = fs::read(&path) else {
        return Ok(None);
    };
    let why = match check_file(&bytes, Some(key)) {
        Ok(payload) => match decode(payload) {
            // `check_file` compared the header's checksum with the payload's.
            Some(img) => {
                return Ok(Some(Image {
                    digest: u64::from_le_bytes(bytes[40..48].try_into().expect("8 bytes")),
                    ..img
                }))
            }
            None => "its contents do not decode".to_string(),
        },
        Err(why) => why,
    };
    let _ = fs::remove_file(&path);
    Err(format!(
        "run image {} is unusable ({why}); it is rebuilt",
        path.display()
    ))
}

/// Publishes an image (temporary file, then rename). Returns the error as a warning's text.
pub fn store(root: &Path, key: &Key, payload: &[u8]) -> Result<(), String> {
    let dir = image_dir(root);
    let bytes = file_bytes(key, payload);
    let tmp = super::temp_path(&dir, key);
    let write = || -> std::io::Result<()> {
        fs::create_dir_all(&dir)?;
        let mut f = fs::File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_data()?;
        fs::rename(&tmp, path_of(root, key))
    };
    // A concurrent `nvm cache clear` may remove the folder between two steps: once more.
    let r = write().or_else(|_| write());
    if let Err(e) = r {
        let _ = fs::remove_file(&tmp);
        return Err(format!(
            "cannot write a run image to {} ({e}); the next run checks the program again",
            dir.display()
        ));
    }
    Ok(())
}
