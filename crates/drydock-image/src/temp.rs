//! Temporary copies on disk: a compressed archive (`.tar.gz`, `.tar.zst`) inflated so its
//! members can be read by offset.
//!
//! They go into one directory ([`set_dir`]; the `drydock` binary sets `CACHE/inflate/`, so a
//! scan never fills `/tmp` by surprise) and every live one is registered, so that besides
//! being removed when dropped (normal exit, errors) they are removed when the process is
//! interrupted ([`remove_on_signals`]: SIGINT and SIGTERM remove them, then exit 130 / 143 as
//! a shell reports a process killed by those signals).
//!
//! **What `kill -9` leaves.** A process that cannot run its handlers leaves its copies
//! behind; the next drydock removes them ([`set_dir`] sweeps the directory). Copies are named
//! for their owner's process id (`.drydock-inflate-PID-…`), and while a process has copies it
//! holds an exclusive `flock` on its lock file `.drydock-PID.lock` there. A copy is stale when
//! its owner's lock file can be locked by someone else (the owner is gone: the kernel drops a
//! dead process's locks, whatever became of its id), or when there is no lock file and no
//! process `PID` (`/proc/PID`). A copy whose owner cannot be decided is kept.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Where new temporary copies go; `None`: the system's temporary directory.
static DIR: Mutex<Option<PathBuf>> = Mutex::new(None);
/// Every temporary copy alive now, and the lock file held while there are any.
static LIVE: Mutex<Live> = Mutex::new(Live {
    copies: Vec::new(),
    lock: None,
});

struct Live {
    copies: Vec<PathBuf>,
    lock: Option<(PathBuf, File)>,
}

impl Live {
    /// Removes the lock file once no copy is left (a process that inflated nothing, or
    /// nothing any more, leaves no trace).
    fn release_if_idle(&mut self) {
        if self.copies.is_empty()
            && let Some((path, _file)) = self.lock.take()
        {
            let _ = std::fs::remove_file(path);
        }
    }
}

const COPY_PREFIX: &str = ".drydock-inflate-";

/// Puts temporary copies under `dir` from now on (created, mode 0700, when the first one is
/// made), and removes the copies there whose owner is gone ([`sweep`]).
pub fn set_dir(dir: impl Into<PathBuf>) {
    let dir = dir.into();
    if let Err(e) = sweep(&dir) {
        tracing::debug!("sweeping `{}`: {e}", dir.display());
    }
    *DIR.lock().unwrap_or_else(|p| p.into_inner()) = Some(dir);
}

/// Removes the temporary copies in `dir` left by processes that are gone (`kill -9`), with
/// their lock files; returns how many copies were removed. Copies of live processes, this
/// one's included, are kept.
pub fn sweep(dir: &Path) -> io::Result<usize> {
    let me = std::process::id();
    let mut removed = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(pid) = name
            .strip_prefix(COPY_PREFIX)
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != me && owner_gone(dir, pid) && std::fs::remove_file(entry.path()).is_ok() {
            tracing::debug!("removed `{name}`, left by process {pid}");
            removed += 1;
        }
    }
    // Lock files of gone owners (their copies are removed above).
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(".drydock-")?.strip_suffix(".lock"))
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != me && lock_free(&entry.path()) == Some(true) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    Ok(removed)
}

fn lock_path(dir: &Path, pid: u32) -> PathBuf {
    dir.join(format!(".drydock-{pid}.lock"))
}

/// Whether the process that made copies named for `pid` is gone.
fn owner_gone(dir: &Path, pid: u32) -> bool {
    match lock_free(&lock_path(dir, pid)) {
        Some(free) => free,
        // No lock file (a process between creating its lock file and locking it may have
        // lost it to a sweep): decided by the process id alone.
        None => {
            !Path::new("/proc").join(pid.to_string()).exists() && Path::new("/proc/self").exists()
        }
    }
}

/// Whether the lock file at `path` is unlocked (its owner is gone); `None` when it cannot
/// be opened.
fn lock_free(path: &Path) -> Option<bool> {
    use rustix::fs::{FlockOperation, flock};
    let file = File::open(path).ok()?;
    match flock(&file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Some(true),
        Err(e) if e == rustix::io::Errno::WOULDBLOCK => Some(false),
        Err(_) => None,
    }
}

/// Creates and locks this process's lock file in `dir`.
fn take_lock(dir: &Path) -> io::Result<(PathBuf, File)> {
    use rustix::fs::{FlockOperation, flock};
    let path = lock_path(dir, std::process::id());
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)?;
    flock(&file, FlockOperation::NonBlockingLockExclusive)?;
    Ok((path, file))
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
    for p in live.copies.drain(..) {
        let _ = std::fs::remove_file(&p);
    }
    live.release_if_idle();
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
        // The lock is held before the first copy exists, so a sweep never sees a copy of
        // ours without it.
        if live.lock.is_none() {
            live.lock = Some(take_lock(&dir)?);
        }
        let made = tempfile::Builder::new()
            .prefix(&format!("{COPY_PREFIX}{}-", std::process::id()))
            .tempfile_in(&dir);
        let (file, path) = match made {
            Ok(f) => f.into_parts(),
            Err(e) => {
                live.release_if_idle();
                return Err(e);
            }
        };
        live.copies.push(path.to_path_buf());
        Ok((TempCopy { path }, file))
    }

    pub fn to_path_buf(&self) -> PathBuf {
        self.path.to_path_buf()
    }
}

impl Drop for TempCopy {
    fn drop(&mut self) {
        let mut live = LIVE.lock().unwrap_or_else(|p| p.into_inner());
        live.copies.retain(|p| p.as_path() != &*self.path);
        live.release_if_idle();
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
        assert!(LIVE.lock().expect("lock").copies.contains(&path));
        drop(copy);
        assert!(!path.exists());
        assert!(!LIVE.lock().expect("lock").copies.contains(&path));
        let (copy, _file) = TempCopy::create().expect("created");
        let path = copy.to_path_buf();
        remove_all();
        assert!(!path.exists(), "remove_all removes live copies");
        drop(copy); // the file is gone already: no panic
    }

    /// Issue 14 case 11, `kill -9`: copies whose owner is gone are swept, with its lock file;
    /// copies of a live owner (holding its lock, or without a lock file but running) are kept.
    #[test]
    fn issue14_case11_sweep_removes_what_dead_owners_left() {
        use rustix::fs::{FlockOperation, flock};
        let root = tempfile::tempdir().expect("temp dir");
        let dir = root.path();
        let mut done = std::process::Command::new("true").spawn().expect("spawn");
        let dead = done.id();
        done.wait().expect("wait");
        let mut sleeper = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .expect("spawn");
        let alive = sleeper.id();
        let touch = |name: String| {
            let p = dir.join(name);
            std::fs::write(&p, b"x").expect("write");
            p
        };
        // Gone: an unlocked lock file, or none and no such process.
        let a = touch(format!("{COPY_PREFIX}{dead}-aaaa"));
        let a_lock = touch(format!(".drydock-{dead}.lock"));
        // Gone although its id runs again (another process): its lock file is unlocked.
        let b = touch(format!("{COPY_PREFIX}{alive}-bbbb"));
        let b_lock = touch(format!(".drydock-{alive}.lock"));
        // Live: its lock is held (here by this test, through its own open file).
        let held_pid = alive + 1;
        let c = touch(format!("{COPY_PREFIX}{held_pid}-cccc"));
        let c_lock = touch(format!(".drydock-{held_pid}.lock"));
        let holder = File::open(&c_lock).expect("open");
        flock(&holder, FlockOperation::NonBlockingLockExclusive).expect("lock");
        // No lock file, the process runs: kept.
        let d_pid = alive;
        std::fs::remove_file(&b_lock).expect("rm");
        let removed_b_first = sweep(dir).expect("sweep");
        assert!(
            !a.exists() && !a_lock.exists(),
            "a dead owner's copy and lock file"
        );
        assert!(b.exists(), "no lock file and process {d_pid} runs: kept");
        assert!(c.exists() && c_lock.exists(), "a held lock: kept");
        assert_eq!(removed_b_first, 1);
        let b_lock = touch(format!(".drydock-{alive}.lock"));
        assert_eq!(sweep(dir).expect("sweep"), 1);
        assert!(
            !b.exists() && !b_lock.exists(),
            "an unlocked lock file: gone"
        );
        assert!(c.exists(), "still held");
        drop(holder);
        // Other names are never touched; this process's own copies neither.
        let other = touch("unrelated".into());
        let own = touch(format!("{COPY_PREFIX}{}-dddd", std::process::id()));
        assert_eq!(
            sweep(dir).expect("sweep"),
            1,
            "c, once its lock is released"
        );
        assert!(other.exists() && own.exists() && !c.exists());
        let _ = sleeper.kill();
        let _ = sleeper.wait();
    }
}
