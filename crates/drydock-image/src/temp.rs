//! Temporary copies on disk: a compressed archive (`.tar.gz`, `.tar.zst`) inflated so its
//! members can be read by offset.
//!
//! They go into one directory ([`set_dir`]; the `drydock` binary sets `CACHE/inflate/`, so a
//! scan never fills `/tmp` by surprise) and every live one is registered, so that besides
//! being removed when dropped (normal exit, errors) they are removed when the process is
//! interrupted ([`remove_on_signals`]: SIGINT and SIGTERM remove them, then exit 130 / 143 as
//! a shell reports a process killed by those signals). Only `kill -9` leaves one behind.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Where new temporary copies go; `None`: the system's temporary directory.
static DIR: Mutex<Option<PathBuf>> = Mutex::new(None);
/// Every temporary copy alive now.
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Puts temporary copies under `dir` from now on (created, mode 0700, when the first one is
/// made).
pub fn set_dir(dir: impl Into<PathBuf>) {
    *DIR.lock().unwrap_or_else(|p| p.into_inner()) = Some(dir.into());
}

/// The directory temporary copies go to now.
pub fn dir() -> PathBuf {
    DIR.lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
        .unwrap_or_else(std::env::temp_dir)
}

/// Removes every temporary copy still alive (for a signal handler; later drops are harmless).
pub fn remove_all() {
    let mut live = LIVE.lock().unwrap_or_else(|p| p.into_inner());
    for p in live.drain(..) {
        let _ = std::fs::remove_file(&p);
    }
}

/// Installs handlers for SIGINT and SIGTERM that remove every temporary copy and exit with
/// 130 or 143. For binaries that have no other use for these signals.
pub fn remove_on_signals() -> io::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
    std::thread::Builder::new()
        .name("drydock-signals".into())
        .spawn(move || {
            if let Some(sig) = signals.forever().next() {
                remove_all();
                std::process::exit(128 + sig);
            }
        })?;
    Ok(())
}

/// A registered temporary file, removed when dropped.
#[derive(Debug)]
pub(crate) struct TempCopy {
    path: tempfile::TempPath,
}

impl TempCopy {
    /// Creates an empty temporary file in [`dir`], returning it open for writing.
    pub fn create() -> io::Result<(TempCopy, std::fs::File)> {
        let dir = dir();
        make_private_dir(&dir)?;
        // Created and registered under the lock: a signal's `remove_all` waits for both.
        let mut live = LIVE.lock().unwrap_or_else(|p| p.into_inner());
        let file = tempfile::Builder::new()
            .prefix(".drydock-inflate-")
            .tempfile_in(&dir)?;
        let (file, path) = file.into_parts();
        live.push(path.to_path_buf());
        Ok((TempCopy { path }, file))
    }

    pub fn to_path_buf(&self) -> PathBuf {
        self.path.to_path_buf()
    }
}

impl Drop for TempCopy {
    fn drop(&mut self) {
        let mut live = LIVE.lock().unwrap_or_else(|p| p.into_inner());
        live.retain(|p| p.as_path() != &*self.path);
        // `TempPath`'s own drop removes the file.
    }
}

fn make_private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    match std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
    {
        Ok(()) => Ok(()),
        Err(e) => Err(io::Error::new(
            e.kind(),
            format!("creating the temporary directory `{}`: {e}", dir.display()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_are_registered_until_dropped() {
        let root = tempfile::tempdir().expect("temp dir");
        set_dir(root.path().join("inflate"));
        let (copy, _file) = TempCopy::create().expect("created");
        let path = copy.to_path_buf();
        assert!(path.starts_with(root.path().join("inflate")), "{path:?}");
        assert!(LIVE.lock().expect("lock").contains(&path));
        drop(copy);
        assert!(!path.exists());
        assert!(!LIVE.lock().expect("lock").contains(&path));
        let (copy, _file) = TempCopy::create().expect("created");
        let path = copy.to_path_buf();
        remove_all();
        assert!(!path.exists(), "remove_all removes live copies");
        drop(copy); // the file is gone already: no panic
    }
}
