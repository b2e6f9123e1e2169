//! Where blobs live: a directory (OCI layout) or members of an uncompressed tar (docker-archive,
//! OCI archive), each readable independently so layers can be walked in parallel.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::digest::{Digest, LimitReader, is_limit_exceeded};
use crate::error::{ImageError, Result};
use crate::tar::{self, SparseMap};
use crate::walk::Compression;

/// Where a member's data is in an uncompressed archive.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub offset: u64,
    pub stored: u64,
    /// The member's layout when it was stored sparse (holes read as zeros).
    pub sparse: Option<Arc<SparseMap>>,
}

impl Member {
    pub fn whole(len: u64) -> Member {
        Member {
            offset: 0,
            stored: len,
            sparse: None,
        }
    }

    fn size(&self) -> u64 {
        self.sparse.as_ref().map_or(self.stored, |m| m.real_size)
    }
}

#[derive(Debug, Clone)]
pub(crate) enum BlobStore {
    /// Files under a directory (an OCI layout root).
    Dir(PathBuf),
    /// Members of an uncompressed tar, by name.
    Tar {
        path: PathBuf,
        members: Arc<HashMap<String, Member>>,
        _temp: Option<Arc<crate::temp::TempCopy>>,
    },
}

pub(crate) type BlobReader = Box<dyn Read + Send>;

impl BlobStore {
    pub fn root(&self) -> &Path {
        match self {
            BlobStore::Dir(p) => p,
            BlobStore::Tar { path, .. } => path,
        }
    }

    /// The file holding blob `name` with the blob's offset and length in it (length 0: the whole
    /// file), when that file outlives the scan: not for a temporary decompressed copy.
    pub fn location(&self, name: &str) -> Option<(PathBuf, u64, u64)> {
        match self {
            BlobStore::Dir(root) => Some((root.join(name), 0, 0)),
            BlobStore::Tar { _temp: Some(_), .. } => None,
            BlobStore::Tar { path, members, .. } => {
                let m = members.get(name)?;
                // A sparse member is not one byte range of the file.
                m.sparse
                    .is_none()
                    .then(|| (path.clone(), m.offset, m.stored))
            }
        }
    }

    /// The size in bytes of blob `name`, if it exists.
    pub fn blob_size(&self, name: &str) -> Option<u64> {
        match self {
            BlobStore::Dir(root) => std::fs::metadata(root.join(name)).ok().map(|m| m.len()),
            BlobStore::Tar { members, .. } => members.get(name).map(Member::size),
        }
    }

    pub fn contains(&self, name: &str) -> bool {
        match self {
            BlobStore::Dir(root) => root.join(name).is_file(),
            BlobStore::Tar { members, .. } => members.contains_key(name),
        }
    }

    pub fn open(&self, name: &str) -> Result<BlobReader> {
        match self {
            BlobStore::Dir(root) => Ok(Box::new(open_in_layout(root, name)?)),
            BlobStore::Tar { path, members, .. } => {
                let m = members.get(name).ok_or_else(|| ImageError::Malformed {
                    path: path.display().to_string(),
                    reason: format!("archive has no member `{name}`"),
                })?;
                let mut f = File::open(path).map_err(|e| ImageError::io(path, e))?;
                f.seek(SeekFrom::Start(m.offset))
                    .map_err(|e| ImageError::io(path, e))?;
                let stored = f.take(m.stored);
                Ok(match &m.sparse {
                    None => Box::new(stored),
                    Some(map) => Box::new(tar::Expanded::new(stored, map.clone())),
                })
            }
        }
    }

    /// Reads a small JSON blob (manifest, config, index) whole, bounded at 64 MiB.
    pub fn read_small(&self, name: &str) -> Result<Vec<u8>> {
        let mut buf = Vec::new();
        let limit = 64 << 20;
        self.open(name)?
            .take(limit + 1)
            .read_to_end(&mut buf)
            .map_err(|e| ImageError::io(self.root().join(name), e))?;
        if buf.len() as u64 > limit {
            return Err(ImageError::Malformed {
                path: name.to_string(),
                reason: "metadata blob over 64 MiB".into(),
            });
        }
        Ok(buf)
    }

    /// Reads a blob named by digest from `blobs/<alg>/<hex>` and checks it.
    pub fn read_verified(&self, digest: &Digest, what: &'static str) -> Result<Vec<u8>> {
        let name = format!("blobs/sha256/{}", digest.hex());
        if !self.contains(&name) {
            return Err(ImageError::MissingBlob {
                path: self.root().to_path_buf(),
                digest: digest.to_string(),
            });
        }
        let bytes = self.read_small(&name)?;
        let actual = Digest::of(&bytes);
        if actual != *digest {
            return Err(ImageError::DigestMismatch {
                what,
                name: name.clone(),
                expected: digest.to_string(),
                actual: actual.to_string(),
            });
        }
        Ok(bytes)
    }
}

/// Opens `name` under an OCI layout directory, refusing a path that leads out of it through a
/// symlink (`index.json` → a host file would otherwise be read, and maybe quoted in an error)
/// and anything but a regular file (a FIFO would block). Symlinks inside the layout are fine.
fn open_in_layout(root: &Path, name: &str) -> Result<File> {
    use rustix::fs::{FileType, Mode, OFlags};
    let p = root.join(name);
    let real = std::fs::canonicalize(&p).map_err(|e| ImageError::io(&p, e))?;
    let real_root = std::fs::canonicalize(root).map_err(|e| ImageError::io(root, e))?;
    if !real.starts_with(&real_root) {
        return Err(ImageError::Malformed {
            path: p.display().to_string(),
            reason: "a symlink that leads out of the layout directory; not read".into(),
        });
    }
    let fd = rustix::fs::open(
        &real,
        OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NOCTTY,
        Mode::empty(),
    )
    .map_err(|e| ImageError::io(&p, e.into()))?;
    let st = rustix::fs::fstat(&fd).map_err(|e| ImageError::io(&p, e.into()))?;
    if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
        return Err(ImageError::Malformed {
            path: p.display().to_string(),
            reason: "not a regular file; not read".into(),
        });
    }
    Ok(File::from(fd))
}

/// Sniffs the compression of a file from its first bytes.
pub(crate) fn sniff_file(path: &Path) -> Result<Compression> {
    let mut f = File::open(path).map_err(|e| ImageError::io(path, e))?;
    let mut head = [0u8; 4];
    let mut n = 0;
    while n < head.len() {
        match f.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) => return Err(ImageError::io(path, e)),
        }
    }
    Ok(Compression::sniff(&head[..n]))
}

/// Decompresses a gzip or zstd archive into a temporary file ([`crate::temp`]) so its members
/// can be read by offset, bounded by `limit` bytes.
pub(crate) fn decompress_to_temp(
    path: &Path,
    compression: Compression,
    limit: u64,
) -> Result<crate::temp::TempCopy> {
    let f = File::open(path).map_err(|e| ImageError::io(path, e))?;
    let reader: Box<dyn Read> = match compression {
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(
            io::BufReader::with_capacity(256 * 1024, f),
        )),
        Compression::Zstd => Box::new(zstd::Decoder::new(f).map_err(|e| ImageError::io(path, e))?),
        Compression::None => Box::new(f),
    };
    let (tmp, file) =
        crate::temp::TempCopy::create().map_err(|e| ImageError::io(crate::temp::dir(), e))?;
    let mut out = io::BufWriter::with_capacity(256 * 1024, file);
    let mut limited = LimitReader::new(reader, limit);
    let copied = io::copy(&mut limited, &mut out).and_then(|_| out.flush());
    if let Err(e) = copied {
        if is_limit_exceeded(&e) {
            return Err(ImageError::TooLarge {
                layer: path.display().to_string(),
                limit,
            });
        }
        return Err(ImageError::Corrupt {
            what: "archive",
            name: path.display().to_string(),
            reason: e.to_string(),
        });
    }
    Ok(tmp)
}

/// Lists the members of an uncompressed tar with their data offsets, following symlinks and
/// hard links between members (older `docker save` links a repeated layer to its first copy).
/// Fails on a truncated or corrupt archive.
pub(crate) fn index_tar(path: &Path) -> Result<HashMap<String, Member>> {
    let corrupt = |reason: String| ImageError::Corrupt {
        what: "archive",
        name: path.display().to_string(),
        reason,
    };
    let f = File::open(path).map_err(|e| ImageError::io(path, e))?;
    let len = f.metadata().map_err(|e| ImageError::io(path, e))?.len();
    let mut archive = tar::Reader::new(io::BufReader::new(f));
    let mut members = HashMap::new();
    let mut links: Vec<(String, String)> = Vec::new();
    let layer = path.display().to_string();
    while let Some(entry) = archive.next().map_err(|e| corrupt(e.to_string()))? {
        let name = crate::walk::sanitize(&entry.path, &layer)?;
        let end = entry.data_offset.saturating_add(entry.stored);
        if end > len {
            return Err(corrupt(format!(
                "truncated: member `{name}` ends at byte {end} but the file has {len}"
            )));
        }
        match entry.kind {
            tar::Kind::File => {
                members.insert(
                    name,
                    Member {
                        offset: entry.data_offset,
                        stored: entry.stored,
                        sparse: entry.sparse.clone(),
                    },
                );
            }
            tar::Kind::Hardlink => links.push((name, crate::walk::sanitize(&entry.link, &layer)?)),
            tar::Kind::Symlink => {
                let (dir, _) = name.rsplit_once('/').unwrap_or(("", ""));
                let link = String::from_utf8_lossy(&entry.link);
                let target = if link.starts_with('/') {
                    link.into_owned()
                } else {
                    format!("{dir}/{link}")
                };
                // A link climbing out of the archive leads nowhere: not a member.
                if let Ok(t) = normalize(&target) {
                    links.push((name, t));
                }
            }
            _ => {}
        }
    }
    // Links to links: a few rounds settle any real chain; the rest stay missing.
    for _ in 0..8 {
        let mut changed = false;
        for (name, target) in &links {
            if !members.contains_key(name)
                && let Some(m) = members.get(target).cloned()
            {
                members.insert(name.clone(), m);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    if members.is_empty() {
        return Err(corrupt(
            "no files in the archive (empty or not a tar)".into(),
        ));
    }
    Ok(members)
}

/// `a/./b/../c` → `a/c`; `Err` when `..` climbs above the root.
fn normalize(path: &str) -> std::result::Result<String, ()> {
    let mut out: Vec<&str> = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                out.pop().ok_or(())?;
            }
            c => out.push(c),
        }
    }
    Ok(out.join("/"))
}
