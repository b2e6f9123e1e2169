//! The content-addressed blob cache, and the OCI layouts written from it per pull.
//!
//! ```text
//! CACHE/blobs/sha256/<hex>      every verified blob (manifests, configs, layers), once
//! CACHE/layouts/<key>/          one OCI image layout per pulled reference and manifest:
//!     oci-layout, index.json,   written by the pull,
//!     blobs/sha256/<hex>        hard links to the blobs above (copies across filesystems)
//! CACHE/tmp/                    downloads and layouts in progress (renamed into place)
//! ```
//!
//! A blob enters `blobs/` only by rename after its sha256 matched, so a reader never sees a
//! partial or wrong blob. A layout is complete before it is renamed into `layouts/`, and holds
//! its own links, so pruning the cache never breaks a layout being read.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use drydock_image::Digest;
use sha2::{Digest as _, Sha256};

use crate::error::{RegistryError, Result};

/// The image cache under one root directory.
#[derive(Debug, Clone)]
pub struct Cache {
    root: PathBuf,
}

/// What [`Cache::clean`] or [`Cache::prune`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Removed {
    pub blobs: usize,
    pub layouts: usize,
    pub bytes: u64,
}

impl Cache {
    /// `DRYDOCK_CACHE_DIR`, else `$XDG_CACHE_HOME/drydock`, else `~/.cache/drydock`.
    pub fn default_root() -> Result<PathBuf> {
        if let Some(d) = std::env::var_os("DRYDOCK_CACHE_DIR").filter(|d| !d.is_empty()) {
            return Ok(PathBuf::from(d));
        }
        if let Some(d) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
            return Ok(PathBuf::from(d).join("drydock"));
        }
        std::env::var_os("HOME")
            .filter(|d| !d.is_empty())
            .map(|h| PathBuf::from(h).join(".cache/drydock"))
            .ok_or(RegistryError::NoCacheDir)
    }

    /// Opens (creating) the cache at `root`. Only `blobs/`, `layouts/` and `tmp/` under it
    /// belong to the image cache; anything else there (the vulnerability DB) is left alone.
    pub fn open(root: impl Into<PathBuf>) -> Result<Cache> {
        let c = Cache { root: root.into() };
        for d in [c.blob_dir(), c.layout_dir(), c.tmp_dir()] {
            fs::create_dir_all(&d).map_err(|e| RegistryError::io(&d, e))?;
        }
        Ok(c)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn blob_dir(&self) -> PathBuf {
        self.root.join("blobs/sha256")
    }

    fn layout_dir(&self) -> PathBuf {
        self.root.join("layouts")
    }

    fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    pub fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.blob_dir().join(digest.hex())
    }

    /// Whether the blob is cached; a hit refreshes its mtime (the LRU clock).
    pub fn has(&self, digest: &Digest) -> bool {
        let p = self.blob_path(digest);
        if !p.is_file() {
            return false;
        }
        if let Ok(f) = File::options().append(true).open(&p) {
            let _ = f.set_modified(SystemTime::now());
        }
        true
    }

    /// Streams `reader` to a temp file while hashing it; renames it into the cache only when
    /// its sha256 is `digest` (and it is no larger than `max_size`). On a mismatch nothing is
    /// kept and the error carries `expected` and `actual`.
    pub(crate) fn insert(
        &self,
        digest: &Digest,
        max_size: u64,
        mut reader: impl Read,
    ) -> std::result::Result<PathBuf, InsertError> {
        let tmp = tempfile::NamedTempFile::new_in(self.tmp_dir())
            .map_err(|e| InsertError::Io(RegistryError::io(self.tmp_dir(), e)))?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 256 << 10];
        let mut total: u64 = 0;
        {
            let mut out = std::io::BufWriter::new(tmp.as_file());
            loop {
                let n = reader.read(&mut buf).map_err(InsertError::Read)?;
                if n == 0 {
                    break;
                }
                total += n as u64;
                if total > max_size {
                    return Err(InsertError::TooLarge);
                }
                hasher.update(&buf[..n]);
                out.write_all(&buf[..n])
                    .map_err(|e| InsertError::Io(RegistryError::io(tmp.path(), e)))?;
            }
            out.flush()
                .map_err(|e| InsertError::Io(RegistryError::io(tmp.path(), e)))?;
        }
        let actual = Digest::from_sha256(&hasher.finalize());
        if actual != *digest {
            return Err(InsertError::Mismatch(actual));
        }
        let dest = self.blob_path(digest);
        tmp.persist(&dest)
            .map_err(|e| InsertError::Io(RegistryError::io(&dest, e.error)))?;
        Ok(dest)
    }

    /// Writes a layout of `blobs` (already cached) with `index` as its `index.json`, under
    /// `layouts/<key>`; an existing complete layout of the same key is kept.
    pub(crate) fn write_layout(
        &self,
        key: &str,
        index: &[u8],
        blobs: &[&Digest],
    ) -> Result<PathBuf> {
        let dest = self.layout_dir().join(key);
        // Same key: same reference and manifest, so the same content. A complete one is kept
        // as it is (another scan may be reading it); one missing a blob is replaced.
        let complete = |d: &Path| {
            d.join("index.json").is_file()
                && blobs
                    .iter()
                    .all(|b| d.join("blobs/sha256").join(b.hex()).is_file())
        };
        if complete(&dest) {
            return Ok(dest);
        }
        let tmp = tempfile::Builder::new()
            .prefix("layout-")
            .tempdir_in(self.tmp_dir())
            .map_err(|e| RegistryError::io(self.tmp_dir(), e))?;
        let dir = tmp.path();
        let blob_dir = dir.join("blobs/sha256");
        fs::create_dir_all(&blob_dir).map_err(|e| RegistryError::io(&blob_dir, e))?;
        for d in blobs {
            let src = self.blob_path(d);
            let dst = blob_dir.join(d.hex());
            if dst.exists() {
                continue;
            }
            if fs::hard_link(&src, &dst).is_err() {
                fs::copy(&src, &dst).map_err(|e| RegistryError::io(&src, e))?;
            }
        }
        let write = |name: &str, bytes: &[u8]| {
            let p = dir.join(name);
            fs::write(&p, bytes).map_err(|e| RegistryError::io(&p, e))
        };
        write("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#)?;
        write("index.json", index)?;
        if dest.exists() {
            let old = self
                .tmp_dir()
                .join(format!("old-{key}-{}", std::process::id()));
            if fs::rename(&dest, &old).is_ok() {
                let _ = fs::remove_dir_all(&old);
            }
        }
        let kept = tmp.keep();
        match fs::rename(&kept, &dest) {
            Ok(()) => Ok(dest),
            Err(e) => {
                let _ = fs::remove_dir_all(&kept);
                if complete(&dest) {
                    Ok(dest)
                } else {
                    Err(RegistryError::io(&dest, e))
                }
            }
        }
    }

    /// Empties the image cache (blobs, layouts, unfinished downloads).
    pub fn clean(&self) -> Result<Removed> {
        let mut removed = Removed::default();
        for (dir, is_layouts) in [
            (self.blob_dir(), false),
            (self.layout_dir(), true),
            (self.tmp_dir(), false),
        ] {
            let Ok(entries) = fs::read_dir(&dir) else {
                continue;
            };
            for e in entries.flatten() {
                let p = e.path();
                let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
                if is_dir {
                    fs::remove_dir_all(&p).map_err(|e| RegistryError::io(&p, e))?;
                } else {
                    removed.bytes += e.metadata().map_or(0, |m| m.len());
                    fs::remove_file(&p).map_err(|e| RegistryError::io(&p, e))?;
                }
                if is_layouts {
                    removed.layouts += 1;
                } else if dir == self.blob_dir() {
                    removed.blobs += 1;
                }
            }
        }
        Ok(removed)
    }

    /// Total bytes of the cached blobs.
    pub fn size(&self) -> Result<u64> {
        Ok(self.blobs()?.iter().map(|(_, len, _)| len).sum())
    }

    fn blobs(&self) -> Result<Vec<(PathBuf, u64, SystemTime)>> {
        let dir = self.blob_dir();
        let mut out = Vec::new();
        for e in fs::read_dir(&dir).map_err(|e| RegistryError::io(&dir, e))? {
            let e = e.map_err(|e| RegistryError::io(&dir, e))?;
            let Ok(m) = e.metadata() else { continue };
            if m.is_file() {
                out.push((
                    e.path(),
                    m.len(),
                    m.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                ));
            }
        }
        Ok(out)
    }

    /// Removes least recently used blobs (by mtime, refreshed on every hit) until the blobs
    /// total at most `max_bytes`, and every layout that linked a removed blob.
    pub fn prune(&self, max_bytes: u64) -> Result<Removed> {
        self.prune_keeping(max_bytes, &[], None)
    }

    /// [`Cache::prune`], never removing the blobs in `keep` nor the layout `keep_layout` (the
    /// pull that just finished, about to be read).
    pub(crate) fn prune_keeping(
        &self,
        max_bytes: u64,
        keep: &[&Digest],
        keep_layout: Option<&Path>,
    ) -> Result<Removed> {
        let keep: std::collections::BTreeSet<&str> = keep.iter().map(|d| d.hex()).collect();
        let mut blobs = self.blobs()?;
        blobs.retain(|(p, _, _)| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_none_or(|n| !keep.contains(n))
        });
        // The kept blobs count toward the total but cannot go.
        let mut total: u64 = self.size()?;
        let mut removed = Removed::default();
        if total <= max_bytes {
            return Ok(removed);
        }
        blobs.sort_by(|a, b| a.2.cmp(&b.2).then_with(|| a.0.cmp(&b.0)));
        let mut gone = std::collections::BTreeSet::new();
        for (path, len, _) in blobs {
            if total <= max_bytes {
                break;
            }
            fs::remove_file(&path).map_err(|e| RegistryError::io(&path, e))?;
            total -= len;
            removed.blobs += 1;
            removed.bytes += len;
            if let Some(name) = path.file_name() {
                gone.insert(name.to_os_string());
            }
        }
        let layouts = self.layout_dir();
        for e in fs::read_dir(&layouts)
            .map_err(|e| RegistryError::io(&layouts, e))?
            .flatten()
        {
            if keep_layout.is_some_and(|k| k == e.path()) {
                continue;
            }
            let linked = e.path().join("blobs/sha256");
            let hit = fs::read_dir(&linked)
                .map(|es| es.flatten().any(|b| gone.contains(&b.file_name())))
                .unwrap_or(true);
            if hit {
                let p = e.path();
                fs::remove_dir_all(&p).map_err(|e| RegistryError::io(&p, e))?;
                removed.layouts += 1;
            }
        }
        Ok(removed)
    }
}

/// Why a blob was not cached.
#[derive(Debug)]
pub(crate) enum InsertError {
    Mismatch(Digest),
    TooLarge,
    Read(std::io::Error),
    Io(RegistryError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_verifies_and_refuses_mismatches() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = Cache::open(dir.path()).expect("open");
        let good = Digest::of(b"hello");
        let p = cache.insert(&good, 5, &b"hello"[..]).expect("insert");
        assert_eq!(fs::read(p).expect("read"), b"hello");
        assert!(cache.has(&good));

        let wanted = Digest::of(b"other");
        match cache.insert(&wanted, 100, &b"hellO"[..]) {
            Err(InsertError::Mismatch(actual)) => assert_eq!(actual, Digest::of(b"hellO")),
            other => panic!("expected a mismatch, got {other:?}"),
        }
        assert!(!cache.has(&wanted));
        assert!(matches!(
            cache.insert(&wanted, 2, &b"other"[..]),
            Err(InsertError::TooLarge)
        ));
        // Nothing left behind in tmp/.
        assert_eq!(fs::read_dir(cache.tmp_dir()).expect("tmp").count(), 0);
    }

    #[test]
    fn layouts_prune_and_clean() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = Cache::open(dir.path()).expect("open");
        let a = Digest::of(b"aaaa");
        let b = Digest::of(b"bbbbbbbb");
        cache.insert(&a, 4, &b"aaaa"[..]).expect("a");
        cache.insert(&b, 8, &b"bbbbbbbb"[..]).expect("b");
        // a is the older one.
        let old = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
        File::options()
            .append(true)
            .open(cache.blob_path(&a))
            .and_then(|f| f.set_modified(old))
            .expect("set mtime");
        let la = cache.write_layout("la", b"{}", &[&a]).expect("layout a");
        let lb = cache.write_layout("lb", b"{}", &[&b]).expect("layout b");
        assert!(la.join("blobs/sha256").join(a.hex()).is_file());
        assert_eq!(cache.size().expect("size"), 12);
        let r = cache.prune(10).expect("prune");
        assert_eq!((r.blobs, r.layouts, r.bytes), (1, 1, 4));
        assert!(!la.exists() && lb.exists());
        // The blobs and layout of the pull in progress stay, even over the bound.
        let r = cache.prune_keeping(0, &[&b], Some(&lb)).expect("prune");
        assert_eq!((r.blobs, r.layouts), (0, 0));
        assert!(lb.exists() && cache.has(&b));
        let r = cache.clean().expect("clean");
        assert_eq!((r.blobs, r.layouts), (1, 1));
        assert_eq!(cache.size().expect("size"), 0);
    }
}
