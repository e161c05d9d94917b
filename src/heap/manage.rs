//! `nvm cache stats | verify | gc | clear`: looking after a heap folder — its entries, run
//! images and packs (`ROOT/v1-<target>/<image key>.nkp`, see `pack`).

use super::image::{self, image_dir, is_image_dir, IMAGE_EXT};
use super::pack;
use super::{check_entry, hex, list_entries, EntryInfo, Key, FORMAT_VERSION};
use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// `nvm cache stats`: entries and bytes, per target folder and per module.
pub fn stats(root: &Path) -> String {
    let entries = list_entries(root);
    let total: u64 = entries.iter().map(|(_, s)| s).sum();
    let mut out = format!(
        "code heap at {}\n{} entries, {} bytes\n",
        root.display(),
        entries.len(),
        total
    );
    let mut per_target: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut per_module: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for (p, size) in &entries {
        let target = p
            .parent()
            .and_then(|d| d.file_name())
            .map_or("?".into(), |n| n.to_string_lossy().into_owned());
        let t = per_target.entry(target).or_default();
        t.0 += 1;
        t.1 += size;
        let module = fs::read(p)
            .ok()
            .and_then(|b| check_entry(&b, None, None).ok())
            .map_or("(unreadable)".to_string(), |i| module_of(&i.name));
        let m = per_module.entry(module).or_default();
        m.0 += 1;
        m.1 += size;
    }
    for (t, (n, b)) in per_target {
        out.push_str(&format!("  target {t}: {n} entries, {b} bytes\n"));
    }
    for (m, (n, b)) in per_module {
        out.push_str(&format!("  module {m}: {n} entries, {b} bytes\n"));
    }
    let images = list_images(root);
    if !images.is_empty() {
        let bytes: u64 = images.iter().map(|(_, s)| s).sum();
        out.push_str(&format!(
            "{} run images, {} bytes\n",
            images.len(),
            bytes
        ));
    }
    let packs = pack::list(root);
    if !packs.is_empty() {
        let bytes: u64 = packs.iter().map(|(_, s)| s).sum();
        out.push_str(&format!("{} packs, {} bytes\n", packs.len(), bytes));
    }
    out
}

/// Every run image file under `root` (`img-v*/KEY.nki`, any version): (path, size).
pub fn list_images(root: &Path) -> Vec<(std::path::PathBuf, u64)> {
    let mut out = Vec::new();
    for d in fs::read_dir(root).into_iter().flatten().flatten() {
        if !is_image_dir(&d.path()) {
            continue;
        }
        for f in fs::read_dir(d.path()).into_iter().flatten().flatten() {
            let p = f.path();
            if p.extension().is_some_and(|e| e == IMAGE_EXT) {
                out.push((p, f.metadata().map_or(0, |m| m.len())));
            }
        }
    }
    out.sort();
    out
}

/// The module part of a specialization's name (`stats.mean(f64[])` → `stats`; a script's
/// own functions → `(script)`).
fn module_of(name: &str) -> String {
    let base = name.split('(').next().unwrap_or(name);
    match base.rsplit_once('.') {
        Some((m, _)) => m.to_string(),
        None => "(script)".to_string(),
    }
}

/// `nvm cache verify`: every entry's integrity, and that no entry contains the code of an
/// entry it calls (each function's code is stored once: callers reach callees only
/// through their link vector). Returns the report and whether the heap is clean.
pub fn verify(root: &Path) -> (String, bool) {
    let entries = list_entries(root);
    let mut problems = Vec::new();
    // A folder that cannot be listed hides its entries: the heap is not known to be clean.
    match fs::read_dir(root) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            problems.push(format!("{}: unreadable folder: {e}", root.display()))
        }
        r => {
            for d in r.into_iter().flatten().flatten() {
                if let (true, Err(e)) = (d.path().is_dir(), fs::read_dir(d.path())) {
                    problems.push(format!("{}: unreadable folder: {e}", d.path().display()));
                }
            }
        }
    }
    // Per folder: identity -> code of each entry for that identity.
    let mut by_name: HashMap<(String, String), Vec<Vec<u8>>> = HashMap::new();
    let mut parsed = Vec::new();
    for (p, _) in &entries {
        let folder = p
            .parent()
            .map_or(String::new(), |d| d.display().to_string());
        let bytes = match fs::read(p) {
            Ok(b) => b,
            Err(e) => {
                problems.push(format!("{}: unreadable: {e}", p.display()));
                continue;
            }
        };
        match check_file(p, &bytes) {
            Ok(info) => {
                let code = bytes[64..64 + info.code_len].to_vec();
                by_name
                    .entry((folder.clone(), info.name.clone()))
                    .or_default()
                    .push(code.clone());
                parsed.push((p.clone(), folder, info, code));
            }
            Err(why) => problems.push(format!("{}: {why}", p.display())),
        }
    }
    let mut checked_pairs = 0usize;
    for (p, folder, info, code) in &parsed {
        for callee in &info.callees {
            if *callee == info.name {
                continue; // a recursive call: its "callee's code" is its own
            }
            let Some(codes) = by_name.get(&(folder.clone(), callee.clone())) else {
                continue;
            };
            for c in codes {
                checked_pairs += 1;
                // A callee's code inside its caller's would be a copy: the heap's first
                // invariant forbids it. (Tiny functions could match by chance; those
                // shorter than a prologue are skipped.)
                if c.len() >= 48 && c.len() <= code.len() && contains(code, c) {
                    problems.push(format!(
                        "{}: the code of {} contains the code of its callee {callee}",
                        p.display(),
                        info.name
                    ));
                }
            }
        }
    }
    // Run images of this version: whole and decodable (older versions are never read).
    let images = list_images(root);
    for (p, _) in &images {
        if p.parent() != Some(image_dir(root).as_path()) {
            continue;
        }
        match fs::read(p) {
            Ok(bytes) => {
                if let Err(why) = image::verify_file(p, &bytes) {
                    problems.push(format!("{}: {why}", p.display()));
                }
            }
            Err(e) => problems.push(format!("{}: unreadable: {e}", p.display())),
        }
    }
    // Packs: whole, for their folder's target, and holding for each function exactly
    // the code of its entry (when the entry is there: a pack outlives a deleted entry).
    let packs = pack::list(root);
    for (p, _) in &packs {
        match fs::read(p) {
            Ok(bytes) => {
                if let Err(why) = verify_pack(p, &bytes) {
                    problems.push(format!("{}: {why}", p.display()));
                }
            }
            Err(e) => problems.push(format!("{}: unreadable: {e}", p.display())),
        }
    }
    let mut out = format!(
        "{} entries checked ({} caller/callee pairs)\n",
        entries.len(),
        checked_pairs
    );
    if !images.is_empty() {
        out.push_str(&format!("{} run images checked\n", images.len()));
    }
    if !packs.is_empty() {
        out.push_str(&format!("{} packs checked\n", packs.len()));
    }
    for p in &problems {
        out.push_str(&format!("problem: {p}\n"));
    }
    if problems.is_empty() {
        out.push_str("heap is clean\n");
    }
    (out, problems.is_empty())
}

/// Checks an entry file as a loader in its folder would: header, checksum, the key its
/// name says and the target its folder is for (the checksum does not cover the header).
fn check_file(p: &Path, bytes: &[u8]) -> Result<EntryInfo, String> {
    let stem = p
        .file_stem()
        .map_or(String::new(), |s| s.to_string_lossy().into_owned());
    let key = parse_key(&stem).ok_or("file name is not a key")?;
    let info = check_entry(bytes, Some(&key), None)?;
    let folder = p
        .parent()
        .and_then(|d| d.file_name())
        .map_or(String::new(), |n| n.to_string_lossy().into_owned());
    if folder != format!("v{FORMAT_VERSION}-{}", hex(&info.fingerprint[..8])) {
        return Err("compiled for another nvm version or CPU than its folder is for".into());
    }
    Ok(info)
}

/// Checks a pack file as a loader in its folder would (header, checksum, records, the
/// image key its name says, the target its folder is for), and that each function's code
/// is its entry's, byte for byte, where that entry exists and is whole.
fn verify_pack(p: &Path, bytes: &[u8]) -> Result<(), String> {
    let key = pack::key_of_path(p).ok_or("file name is not a key")?;
    let info = pack::check(bytes, None)?;
    if info.image != key {
        return Err("its key does not match its file name".into());
    }
    let folder = p.parent().ok_or("no folder")?;
    let folder_name = folder
        .file_name()
        .map_or(String::new(), |n| n.to_string_lossy().into_owned());
    if folder_name != format!("v{FORMAT_VERSION}-{}", hex(&info.fingerprint[..8])) {
        return Err("compiled for another nvm version or CPU than its folder is for".into());
    }
    let area = &bytes[info.code_at..];
    for r in &info.records {
        let entry = folder.join(format!("{}.{}", r.key.hex(), super::EXT));
        let Ok(e) = fs::read(&entry) else {
            continue;
        };
        let Ok(einfo) = check_entry(&e, Some(&r.key), Some(&info.fingerprint)) else {
            continue; // the entry's own problem, reported with the entries
        };
        if e[64..64 + einfo.code_len] != area[r.offset..r.offset + r.len] {
            return Err(format!(
                "the code of slot {} ({}) differs from its entry {}",
                r.slot,
                einfo.name,
                entry.display()
            ));
        }
    }
    Ok(())
}

/// Whether a pack can still serve a run: whole (see [`verify_pack`]) and for the current
/// content of a run image that exists (a pack without its image, or for an image since
/// rewritten, is never read again).
fn pack_usable(root: &Path, p: &Path, bytes: &[u8]) -> bool {
    let (Some(key), Ok(info)) = (pack::key_of_path(p), pack::check(bytes, None)) else {
        return false;
    };
    let image = image_dir(root).join(format!("{}.{IMAGE_EXT}", key.hex()));
    let current = fs::read(&image).is_ok_and(|b| {
        image::check_file(&b, Some(&key)).is_ok_and(|payload| image::digest(payload) == info.digest)
    });
    current && verify_pack(p, bytes).is_ok()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn parse_key(stem: &str) -> Option<Key> {
    if stem.len() != 32 {
        return None;
    }
    let mut k = [0u8; 16];
    for (i, b) in k.iter_mut().enumerate() {
        *b = u8::from_str_radix(stem.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(Key(k))
}

/// `nvm cache gc`: deletes entries, run images and packs older than `max_age` (by last
/// write), then the oldest until the heap is at most `max_bytes`, plus files no run could
/// use (damaged, not named by their key, a pack whose image is gone or was rewritten) and
/// leftovers of interrupted writes. Entries in use by running processes stay valid for
/// them (they hold a copy).
pub fn gc(root: &Path, max_age: Option<Duration>, max_bytes: Option<u64>) -> String {
    let now = SystemTime::now();
    let mut entries: Vec<(std::path::PathBuf, u64, SystemTime)> = list_entries(root)
        .into_iter()
        .chain(list_images(root))
        .chain(pack::list(root))
        .map(|(p, s)| {
            let t = fs::metadata(&p).and_then(|m| m.modified()).unwrap_or(now);
            (p, s, t)
        })
        .collect();
    entries.sort_by_key(|e| e.2);
    let mut removed = 0u64;
    let mut removed_images = 0u64;
    let mut removed_packs = 0u64;
    let is_pack = |p: &Path| p.extension().is_some_and(|e| e == pack::PACK_EXT);
    let mut freed = 0u64;
    let mut total: u64 = entries.iter().map(|e| e.1).sum();
    for (p, size, t) in &entries {
        let too_old = max_age.is_some_and(|a| now.duration_since(*t).unwrap_or_default() > a);
        let too_big = max_bytes.is_some_and(|b| total > b);
        if (too_old || too_big) && fs::remove_file(p).is_ok() {
            if p.parent().is_some_and(is_image_dir) {
                removed_images += 1;
            } else if is_pack(p) {
                removed_packs += 1;
            } else {
                removed += 1;
            }
            freed += size;
            total -= size;
        }
    }
    // Entries of this format that no loader would accept: garbage whatever their age.
    let this_format = format!("v{FORMAT_VERSION}-");
    for (p, size, _) in &entries {
        let in_this_format = p
            .parent()
            .and_then(|d| d.file_name())
            .is_some_and(|n| n.to_string_lossy().starts_with(&this_format));
        let is_image = p.parent().is_some_and(is_image_dir);
        let in_this_format = if is_image {
            p.parent() == Some(image_dir(root).as_path())
        } else {
            in_this_format
        };
        let bad = match fs::read(p) {
            Ok(bytes) if is_image => image::verify_file(p, &bytes).is_err(),
            Ok(bytes) if is_pack(p) => !pack_usable(root, p, &bytes),
            Ok(bytes) => check_file(p, &bytes).is_err(),
            // A file of the heap this user may not read is one no loader of theirs would
            // accept, and no writer replaces it unless a program needs its key: it would
            // stay a `verify` problem for ever. The heap is a cache, so it goes.
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => true,
            Err(_) => continue, // removed above (or by another process)
        };
        if in_this_format && bad && fs::remove_file(p).is_ok() {
            if is_image {
                removed_images += 1;
            } else if is_pack(p) {
                removed_packs += 1;
            } else {
                removed += 1;
            }
            freed += size;
            total = total.saturating_sub(*size); // (a writer may have replaced it meanwhile)
        }
    }
    // Temporary files of writers that died before renaming (older than a minute).
    if let Ok(dirs) = fs::read_dir(root) {
        for d in dirs.flatten() {
            for f in fs::read_dir(d.path()).into_iter().flatten().flatten() {
                let name = f.file_name().to_string_lossy().into_owned();
                let stale = f.metadata().and_then(|m| m.modified()).is_ok_and(|t| {
                    now.duration_since(t).unwrap_or_default() > Duration::from_secs(60)
                });
                if name.starts_with(".tmp-") && stale {
                    let _ = fs::remove_file(f.path());
                }
            }
        }
    }
    let images = match removed_images {
        0 => String::new(),
        1 => " and 1 run image".to_string(),
        k => format!(" and {k} run images"),
    };
    let images = match removed_packs {
        0 => images,
        1 => format!("{images} and 1 pack"),
        k => format!("{images} and {k} packs"),
    };
    format!("removed {removed} entries{images} ({freed} bytes); {total} bytes remain\n")
}

/// `nvm cache clear`: removes every entry, run image and pack (and the folders nvm made).
pub fn clear(root: &Path) -> String {
    let entries = list_entries(root);
    let mut n = 0;
    for (p, _) in &entries {
        if fs::remove_file(p).is_ok() {
            n += 1;
        }
    }
    for (p, _) in list_images(root).into_iter().chain(pack::list(root)) {
        let _ = fs::remove_file(p);
    }
    if let Ok(dirs) = fs::read_dir(root) {
        for d in dirs.flatten() {
            let is_heap_dir =
                d.file_name().to_string_lossy().starts_with('v') || is_image_dir(&d.path());
            if is_heap_dir {
                for f in fs::read_dir(d.path()).into_iter().flatten().flatten() {
                    if f.file_name().to_string_lossy().starts_with(".tmp-") {
                        let _ = fs::remove_file(f.path());
                    }
                }
                let _ = fs::remove_dir(d.path());
            }
        }
    }
    format!("removed {n} entries from {}\n", root.display())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heap::pack::PackId;

    /// A heap folder holding one entry and a pack of that function whose code is `packed`.
    fn heap_with_pack(name: &str, packed: &[u8]) -> std::path::PathBuf {
        let root = std::env::temp_dir().join(format!("nvm-manage-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let fp = [9u8; 16];
        let dir = root.join(format!("v{FORMAT_VERSION}-{}", hex(&fp[..8])));
        fs::create_dir_all(&dir).unwrap();
        let key = Key([1; 16]);
        let code = vec![0xc3u8; 80];
        let entry = super::super::encode_entry(&key, &fp, &code, "f(i64)", &[]);
        fs::write(dir.join(format!("{}.{}", key.hex(), super::super::EXT)), entry).unwrap();
        let id = PackId {
            image: Key([2; 16]),
            digest: 7,
        };
        let pack = pack::encode(&id, &fp, &[(0, key, packed)]);
        fs::write(dir.join(pack::file_name(&id.image)), pack).unwrap();
        root
    }

    #[test]
    fn verify_compares_each_packed_function_with_its_entry() {
        let root = heap_with_pack("same", &[0xc3u8; 80]);
        let (report, clean) = verify(&root);
        assert!(clean && report.contains("1 packs checked"), "{report}");
        let _ = fs::remove_dir_all(&root);
        let root = heap_with_pack("differs", &[0x90u8; 80]);
        let (report, clean) = verify(&root);
        assert!(!clean && report.contains("differs from its entry"), "{report}");
        // No run could read it (no run image names it): gc removes it, clear too.
        let g = gc(&root, None, None);
        assert!(g.contains("and 1 pack"), "{g}");
        assert!(pack::list(&root).is_empty());
        let (report, clean) = verify(&root);
        assert!(clean, "{report}");
        clear(&root);
        assert_eq!(fs::read_dir(&root).unwrap().count(), 0);
        let _ = fs::remove_dir_all(&root);
    }
}
