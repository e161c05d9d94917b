//! Fault injection for the code heap's tests (cargo feature `fault-injection`, off by
//! default: a release build has none of this). `NVM_HEAP_FAULT` names the fault a
//! writer meets:
//! - `enospc`: every write fails as on a full disk (ENOSPC);
//! - `clear-race`: the heap's target folder is removed just before a writer's first
//!   rename, as a concurrent `nvm cache clear` would.
//!
//! The only environment variable the library reads, read once per process, here.
//! `tests/heap.rs` and `tests/heap_soak.rs` set it for the `nvm` they run; Cargo.toml's
//! dev-dependency of the package on itself turns the feature on for `cargo test`.

use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    None,
    Enospc,
    ClearRace,
}

fn fault() -> Fault {
    static FAULT: OnceLock<Fault> = OnceLock::new();
    *FAULT.get_or_init(|| match std::env::var("NVM_HEAP_FAULT").as_deref() {
        Ok("enospc") => Fault::Enospc,
        Ok("clear-race") => Fault::ClearRace,
        _ => Fault::None,
    })
}

/// Before a writer touches the folder: a full disk fails the write.
pub(super) fn before_write() -> std::io::Result<()> {
    match fault() {
        Fault::Enospc => Err(std::io::Error::from_raw_os_error(libc::ENOSPC)),
        _ => Ok(()),
    }
}

/// Between writing the temporary file and renaming it into place, on the writer's first
/// attempt: a concurrent clear removes the folder.
pub(super) fn before_rename(dir: &std::path::Path, attempt: u32) -> std::io::Result<()> {
    if fault() == Fault::ClearRace && attempt == 0 {
        std::fs::remove_dir_all(dir)?;
    }
    Ok(())
}
