//! A cache of layer walks, so scanning the same layers again reads none of them.
//!
//! It keeps two kinds of record, as JSON files under one directory:
//!
//! - **verified** (`verified/<key>.json`): where a blob lives (the file's device and inode, the
//!   offset and length in it), the file's size, modification and change times when the blob was
//!   last read in full, and the digests computed from its bytes then. A later scan that finds the same
//!   identity knows the digests without reading the bytes. This is the bet git's index and
//!   rsync's quick check make; it holds because writing a file always moves its change time
//!   (`ctime`), which no writer can set back. Files changed less than [`RACY_WINDOW`] before they
//!   were read are not recorded: a second write in the same timestamp tick would go unseen.
//! - **walks** (`walks/<visitor key>/<diff_id>.json`): what a visitor made of a layer (the files
//!   it read, links, whiteouts, paths), keyed by the layer's `diff_id` and the visitor's
//!   [`crate::FileVisitor::cache_key`] (its analyzers and their version, the limits). The
//!   second-pass reads of link targets are cached beside them, keyed by what was asked.
//!
//! A blob file the cache verified before is served only when its record matches the file as it
//! is now and its digests equal what the manifest and config expect; a file that changed since
//! is walked again as if there were no cache, and the result recorded. Records are written to a
//! temporary file and renamed into place, so concurrent scans never see half a record; an
//! unreadable record is a miss and a failed write is logged: the cache never fails a scan.
//!
//! A layer whose blob file this cache has never seen (the same layer in another docker-archive,
//! another layout, a fresh pull) is still served from **walks** when the image's config names
//! a `diff_id` that a verified walk recorded: the walk record only ever exists for bytes that
//! hashed to that `diff_id`, and the config itself was checked against its digest. This is
//! Trivy's rule too. What it trusts is the image's own claim that the blob is that layer: an
//! archive whose layer does not hash to its config's `diff_id` is refused by every runtime
//! (`docker load`, containerd) but would be reported as the layer it claims to be.
//! [`LayerCache::verify_blobs`] turns the rule off, so every blob not verified by file identity
//! is read and hashed (`--verify-layers`).

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::digest::Digest;
use crate::store::BlobStore;
use crate::walk::{Expect, LayerWalk};
use crate::{FileMeta, Limits};

/// How recently a file may have changed and still have its verified digests recorded.
pub const RACY_WINDOW: Duration = Duration::from_secs(2);

/// Second-pass reads asked of one layer: target path → link paths to visit with its content.
pub(crate) type Capture = BTreeMap<String, Vec<(String, FileMeta)>>;

/// The layer-walk cache under a directory (by default `layers/` in drydock's cache directory).
#[derive(Debug, Clone)]
pub struct LayerCache {
    root: PathBuf,
    /// Serve a walk by the config's `diff_id` alone only when this is false.
    verify_blobs: bool,
}

/// How much a cache holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheUsage {
    pub files: u64,
    pub bytes: u64,
}

impl LayerCache {
    /// A cache rooted at `root`; nothing is created until a scan records something.
    pub fn new(root: impl Into<PathBuf>) -> LayerCache {
        LayerCache {
            root: root.into(),
            verify_blobs: false,
        }
    }

    /// With `true`, a layer is served from the cache only when its blob file is one the cache
    /// verified (by file identity); any other blob is read and hashed, even when a walk of
    /// the `diff_id` its image claims is recorded.
    pub fn verify_blobs(mut self, verify: bool) -> LayerCache {
        self.verify_blobs = verify;
        self
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Files and bytes the cache holds.
    pub fn usage(&self) -> io::Result<CacheUsage> {
        let mut records = Vec::new();
        if self.root.exists() {
            list_records(&self.root, &mut records)?;
        }
        Ok(CacheUsage {
            files: records.len() as u64,
            bytes: records.iter().map(|(_, len, _)| len).sum(),
        })
    }

    /// Removes every record; returns what was removed.
    pub fn clean(&self) -> io::Result<CacheUsage> {
        let usage = self.usage()?;
        for sub in ["verified", "walks", "tmp"] {
            let d = self.root.join(sub);
            if d.exists() {
                fs::remove_dir_all(&d)?;
            }
        }
        Ok(usage)
    }

    /// Removes the least recently used records until the cache holds at most `max_bytes`
    /// (a record's modification time is refreshed each time a scan uses it). Walks of older
    /// drydock builds are never used again, so they go first.
    pub fn prune(&self, max_bytes: u64) -> io::Result<CacheUsage> {
        let mut records = Vec::new();
        for sub in ["verified", "walks"] {
            let d = self.root.join(sub);
            if d.exists() {
                list_records(&d, &mut records)?;
            }
        }
        let mut total: u64 = records.iter().map(|(_, len, _)| len).sum();
        records.sort_by_key(|(_, _, used)| *used);
        let mut removed = CacheUsage::default();
        for (path, len, _) in records {
            if total <= max_bytes {
                break;
            }
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {} // a concurrent prune
                Err(e) => return Err(e),
            }
            total -= len;
            removed.files += 1;
            removed.bytes += len;
        }
        // Drop the directories of builds whose walks are all gone.
        if let Ok(keys) = fs::read_dir(self.root.join("walks")) {
            for k in keys.flatten() {
                let _ = fs::remove_dir(k.path()); // fails, as it should, unless empty
            }
        }
        Ok(removed)
    }

    /// A view of the cache for one visitor key and set of limits.
    pub(crate) fn session(&self, visitor_key: &str, limits: &Limits) -> Session<'_> {
        let key = short_hash(
            format!(
                "{visitor_key}\0max_layer_size={}\0max_file_size={}",
                limits.max_layer_size, limits.max_file_size
            )
            .as_bytes(),
        );
        Session { cache: self, key }
    }

    fn write_atomic(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        let tmp_dir = self.root.join("tmp");
        fs::create_dir_all(&tmp_dir)?;
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        let mut tmp = tempfile::NamedTempFile::new_in(&tmp_dir)?;
        tmp.write_all(bytes)?;
        tmp.persist(path).map_err(|e| e.error)?;
        Ok(())
    }
}

fn list_records(dir: &Path, out: &mut Vec<(PathBuf, u64, SystemTime)>) -> io::Result<()> {
    for e in fs::read_dir(dir)? {
        let e = e?;
        let t = e.file_type()?;
        if t.is_dir() {
            list_records(&e.path(), out)?;
        } else if t.is_file() {
            let m = e.metadata()?;
            out.push((
                e.path(),
                m.len(),
                m.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            ));
        }
    }
    Ok(())
}

/// Marks a record as just used, for [`LayerCache::prune`]'s least-recently-used order.
fn touch(path: &Path) {
    let res = fs::File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(SystemTime::now()));
    if let Err(e) = res {
        tracing::debug!("could not mark cache record `{}` used: {e}", path.display());
    }
}

fn short_hash(bytes: &[u8]) -> String {
    hex::encode(&Sha256::digest(bytes)[..12])
}

/// Where a blob's bytes are and what the file holding them looked like. The file is named by
/// device and inode, not path: the layouts of two pulled images hard-link the same cached blob,
/// and one verification serves both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct FileStat {
    offset: u64,
    len: u64,
    dev: u64,
    ino: u64,
    size: u64,
    mtime_ns: i128,
    ctime_ns: i128,
}

/// A blob's [`FileStat`] and when it was taken.
#[derive(Debug, Clone)]
pub(crate) struct FileIdentity {
    stat: FileStat,
    seen_ns: i128,
}

fn now_ns() -> i128 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128)
}

impl FileIdentity {
    /// The identity of blob `name` of `store`, when the store keeps it in a file that outlives
    /// the scan (not a temporary decompressed copy) and the platform has inodes.
    pub fn of(store: &BlobStore, name: &str) -> Option<FileIdentity> {
        let (path, offset, len) = store.location(name)?;
        let seen_ns = now_ns();
        identity(&path, offset, len).map(|stat| FileIdentity { stat, seen_ns })
    }

    fn key(&self) -> String {
        let s = &self.stat;
        short_hash(format!("{}:{}:{}:{}", s.dev, s.ino, s.offset, s.len).as_bytes())
    }

    /// Whether the file had changed too shortly before it was looked at for its identity to
    /// prove anything: a second write in the same timestamp tick would leave it as it was.
    /// Judged at the time of the look, not of the recording, however long the walk took.
    fn is_racy(&self) -> bool {
        let window = RACY_WINDOW.as_nanos() as i128;
        self.seen_ns - self.stat.ctime_ns < window || self.seen_ns - self.stat.mtime_ns < window
    }
}

#[cfg(unix)]
fn identity(path: &Path, offset: u64, len: u64) -> Option<FileStat> {
    use std::os::unix::fs::MetadataExt;
    let m = fs::metadata(path).ok()?;
    Some(FileStat {
        offset,
        len,
        dev: m.dev(),
        ino: m.ino(),
        size: m.size(),
        mtime_ns: i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
        ctime_ns: i128::from(m.ctime()) * 1_000_000_000 + i128::from(m.ctime_nsec()),
    })
}

#[cfg(not(unix))]
fn identity(_path: &Path, _offset: u64, _len: u64) -> Option<FileStat> {
    None
}

#[derive(Debug, Serialize, Deserialize)]
struct Verified {
    identity: FileStat,
    blob: Digest,
    diff_id: Digest,
}

/// The cache as one scan uses it: walks and captures of one visitor key.
pub(crate) struct Session<'a> {
    cache: &'a LayerCache,
    key: String,
}

/// What the layer walk asks of a cache; [`NoCache`] for scans without one.
pub(crate) trait WalkCache<O>: Sync {
    /// A walk of the layer whose blob is at `identity`, if the cache verified that blob before
    /// and its digests are the ones expected.
    fn load(&self, identity: Option<&FileIdentity>, expect: &Expect) -> Option<LayerWalk<O>>;
    fn save(&self, identity: Option<&FileIdentity>, walk: &LayerWalk<O>);
    fn load_capture(&self, diff_id: &Digest, capture: &Capture) -> Option<Vec<(String, O)>>;
    fn save_capture(&self, diff_id: &Digest, capture: &Capture, files: &[(String, O)]);
}

pub(crate) struct NoCache;

impl<O> WalkCache<O> for NoCache {
    fn load(&self, _: Option<&FileIdentity>, _: &Expect) -> Option<LayerWalk<O>> {
        None
    }
    fn save(&self, _: Option<&FileIdentity>, _: &LayerWalk<O>) {}
    fn load_capture(&self, _: &Digest, _: &Capture) -> Option<Vec<(String, O)>> {
        None
    }
    fn save_capture(&self, _: &Digest, _: &Capture, _: &[(String, O)]) {}
}

impl Session<'_> {
    fn verified_path(&self, identity: &FileIdentity) -> PathBuf {
        self.cache
            .root
            .join("verified")
            .join(format!("{}.json", identity.key()))
    }

    fn walk_path(&self, diff_id: &Digest) -> PathBuf {
        self.cache
            .root
            .join("walks")
            .join(&self.key)
            .join(format!("{}.json", diff_id.hex()))
    }

    fn capture_path(&self, diff_id: &Digest, capture: &Capture) -> Option<PathBuf> {
        let asked = serde_json::to_vec(capture).ok()?;
        Some(self.cache.root.join("walks").join(&self.key).join(format!(
            "{}-links-{}.json",
            diff_id.hex(),
            short_hash(&asked)
        )))
    }

    /// The walk of the blob at `identity`, verified as `v` before, if the file is unchanged.
    fn load_verified<O: DeserializeOwned>(
        &self,
        v: Verified,
        identity: &FileIdentity,
        expect: &Expect,
    ) -> Option<LayerWalk<O>> {
        if v.identity != identity.stat
            || expect.blob.as_ref().is_some_and(|b| *b != v.blob)
            || expect.diff_id.as_ref().is_some_and(|d| *d != v.diff_id)
        {
            return None;
        }
        let mut walk: LayerWalk<O> = Self::read(&self.walk_path(&v.diff_id))?;
        if walk.diff_id != v.diff_id {
            return None;
        }
        // The same uncompressed layer may come in another compression: the blob is this one.
        walk.blob_digest = v.blob;
        Some(walk)
    }

    fn read<T: DeserializeOwned>(path: &Path) -> Option<T> {
        let bytes = fs::read(path).ok()?;
        match serde_json::from_slice(&bytes) {
            Ok(v) => {
                touch(path);
                Some(v)
            }
            Err(e) => {
                tracing::debug!("ignoring unreadable cache record `{}`: {e}", path.display());
                None
            }
        }
    }

    fn write<T: Serialize>(&self, path: &Path, value: &T) {
        let res = serde_json::to_vec(value)
            .map_err(io::Error::other)
            .and_then(|bytes| self.cache.write_atomic(path, &bytes));
        if let Err(e) = res {
            // Once per process: a cache that cannot be written is worth knowing about, not
            // worth a line per layer.
            static WARNED: std::sync::Once = std::sync::Once::new();
            WARNED.call_once(|| {
                tracing::warn!(
                    "the layer cache `{}` cannot be written ({e}); layers will be read again next time",
                    self.cache.root.display()
                );
            });
            tracing::debug!("could not write cache record `{}`: {e}", path.display());
        }
    }
}

impl<O: Serialize + DeserializeOwned> WalkCache<O> for Session<'_> {
    fn load(&self, identity: Option<&FileIdentity>, expect: &Expect) -> Option<LayerWalk<O>> {
        if let Some(identity) = identity
            && let Some(v) = Self::read::<Verified>(&self.verified_path(identity))
        {
            // A file this cache verified before: served only if it is unchanged. One that
            // changed since is read and verified again, never taken on its image's word.
            return self.load_verified(v, identity, expect);
        }
        if self.cache.verify_blobs {
            return None;
        }
        // The image's own claim: its config (checked against its digest) names this diff_id.
        let diff_id = expect.diff_id.as_ref()?;
        let mut walk: LayerWalk<O> = Self::read(&self.walk_path(diff_id))?;
        if walk.diff_id != *diff_id {
            return None;
        }
        walk.blob_digest = expect.blob.clone().unwrap_or_else(|| diff_id.clone());
        Some(walk)
    }

    fn save(&self, identity: Option<&FileIdentity>, walk: &LayerWalk<O>) {
        self.write(&self.walk_path(&walk.diff_id), walk);
        if let Some(identity) = identity.filter(|i| !i.is_racy()) {
            let v = Verified {
                identity: identity.stat.clone(),
                blob: walk.blob_digest.clone(),
                diff_id: walk.diff_id.clone(),
            };
            self.write(&self.verified_path(identity), &v);
        }
    }

    fn load_capture(&self, diff_id: &Digest, capture: &Capture) -> Option<Vec<(String, O)>> {
        Self::read(&self.capture_path(diff_id, capture)?)
    }

    fn save_capture(&self, diff_id: &Digest, capture: &Capture, files: &[(String, O)]) {
        if let Some(p) = self.capture_path(diff_id, capture) {
            self.write(&p, &files);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity_changed_ago(ago: Duration) -> FileIdentity {
        let seen_ns = now_ns();
        let t = seen_ns - ago.as_nanos() as i128;
        FileIdentity {
            stat: FileStat {
                offset: 512,
                len: 1024,
                dev: 1,
                ino: 2,
                size: 4096,
                mtime_ns: t,
                ctime_ns: t,
            },
            seen_ns,
        }
    }

    #[test]
    fn recently_changed_files_are_not_trusted() {
        assert!(identity_changed_ago(Duration::ZERO).is_racy());
        assert!(identity_changed_ago(RACY_WINDOW / 2).is_racy());
        assert!(!identity_changed_ago(RACY_WINDOW * 5).is_racy());
        // However long ago the look was: what counts is the change time against the look.
        let mut looked_long_ago = identity_changed_ago(RACY_WINDOW / 2);
        looked_long_ago.seen_ns -= 3_600_000_000_000;
        looked_long_ago.stat.ctime_ns -= 3_600_000_000_000;
        looked_long_ago.stat.mtime_ns -= 3_600_000_000_000;
        assert!(looked_long_ago.is_racy());
    }

    #[test]
    fn records_with_invalid_digests_do_not_parse() {
        let d = Digest::of(b"layer");
        let json = serde_json::to_string(&d).expect("serialize");
        assert_eq!(json, format!("\"{d}\""));
        assert_eq!(serde_json::from_str::<Digest>(&json).ok(), Some(d));
        assert!(serde_json::from_str::<Digest>("\"sha256:../../etc/passwd\"").is_err());
        assert!(serde_json::from_str::<Digest>("\"md5:abcd\"").is_err());
    }

    #[test]
    fn prune_removes_the_least_recently_used_records_first() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let cache = LayerCache::new(tmp.path());
        let walks = tmp.path().join("walks/oldbuild");
        fs::create_dir_all(&walks).expect("walks dir");
        let now = SystemTime::now();
        for (name, age_s) in [("a.json", 300), ("b.json", 200), ("c.json", 100)] {
            let p = walks.join(name);
            fs::write(&p, [0u8; 1000]).expect("record");
            fs::File::options()
                .write(true)
                .open(&p)
                .and_then(|f| f.set_modified(now - Duration::from_secs(age_s)))
                .expect("age the record");
        }
        assert_eq!(cache.usage().expect("usage").files, 3);
        let removed = cache.prune(2000).expect("prune");
        assert_eq!(
            removed,
            CacheUsage {
                files: 1,
                bytes: 1000
            }
        );
        assert!(!walks.join("a.json").exists(), "the oldest goes first");
        assert!(walks.join("c.json").exists());
        // Reading a record makes it the most recently used.
        fs::write(walks.join("b.json"), b"[]").expect("record");
        fs::File::options()
            .write(true)
            .open(walks.join("b.json"))
            .and_then(|f| f.set_modified(now - Duration::from_secs(500)))
            .expect("age the record");
        assert!(Session::read::<Vec<u8>>(&walks.join("b.json")).is_some());
        cache.prune(1000).expect("prune");
        assert!(walks.join("b.json").exists(), "just used, so kept");
        assert!(!walks.join("c.json").exists());
        cache.prune(0).expect("prune");
        assert!(!walks.exists(), "an emptied build directory is removed");
    }

    #[test]
    fn a_session_key_depends_on_the_limits() {
        let cache = LayerCache::new("/nonexistent");
        let a = cache.session("v", &Limits::default()).key;
        let b = cache
            .session(
                "v",
                &Limits {
                    max_file_size: 1,
                    ..Limits::default()
                },
            )
            .key;
        assert_ne!(a, b);
        assert_eq!(a, cache.session("v", &Limits::default()).key);
    }
}
