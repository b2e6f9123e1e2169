//! Where blobs live: a directory (OCI layout) or members of an uncompressed tar (docker-archive,
//! OCI archive), each readable independently so layers can be walked in parallel.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::digest::{Digest, LimitReader, is_limit_exceeded};
use crate::error::{ImageError, Result};
use crate::walk::Compression;

#[derive(Debug, Clone)]
pub(crate) enum BlobStore {
    /// Files under a directory (an OCI layout root).
    Dir(PathBuf),
    /// Members of an uncompressed tar: name → (offset, size).
    Tar {
        path: PathBuf,
        members: Arc<HashMap<String, (u64, u64)>>,
        _temp: Option<Arc<tempfile::TempPath>>,
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
                let &(off, size) = members.get(name)?;
                Some((path.clone(), off, size))
            }
        }
    }

    /// The size in bytes of blob `name`, if it exists.
    pub fn blob_size(&self, name: &str) -> Option<u64> {
        match self {
            BlobStore::Dir(root) => std::fs::metadata(root.join(name)).ok().map(|m| m.len()),
            BlobStore::Tar { members, .. } => members.get(name).map(|&(_, size)| size),
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
            BlobStore::Dir(root) => {
                let p = root.join(name);
                let f = File::open(&p).map_err(|e| ImageError::io(&p, e))?;
                Ok(Box::new(f))
            }
            BlobStore::Tar { path, members, .. } => {
                let &(off, size) = members.get(name).ok_or_else(|| ImageError::Malformed {
                    path: path.display().to_string(),
                    reason: format!("archive has no member `{name}`"),
                })?;
                let mut f = File::open(path).map_err(|e| ImageError::io(path, e))?;
                f.seek(SeekFrom::Start(off))
                    .map_err(|e| ImageError::io(path, e))?;
                Ok(Box::new(f.take(size)))
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

/// Decompresses a gzip or zstd archive into a temporary file so its members can be read by
/// offset, bounded by `limit` bytes.
pub(crate) fn decompress_to_temp(
    path: &Path,
    compression: Compression,
    limit: u64,
) -> Result<tempfile::TempPath> {
    let f = File::open(path).map_err(|e| ImageError::io(path, e))?;
    let reader: Box<dyn Read> = match compression {
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(
            io::BufReader::with_capacity(256 * 1024, f),
        )),
        Compression::Zstd => Box::new(zstd::Decoder::new(f).map_err(|e| ImageError::io(path, e))?),
        Compression::None => Box::new(f),
    };
    let mut tmp =
        tempfile::NamedTempFile::new().map_err(|e| ImageError::io(std::env::temp_dir(), e))?;
    let mut limited = LimitReader::new(reader, limit);
    if let Err(e) = io::copy(&mut limited, tmp.as_file_mut()) {
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
    Ok(tmp.into_temp_path())
}

/// Lists the members of an uncompressed tar with their data offsets. Fails on a truncated or
/// corrupt archive.
pub(crate) fn index_tar(path: &Path) -> Result<HashMap<String, (u64, u64)>> {
    let corrupt = |reason: String| ImageError::Corrupt {
        what: "archive",
        name: path.display().to_string(),
        reason,
    };
    let f = File::open(path).map_err(|e| ImageError::io(path, e))?;
    let len = f.metadata().map_err(|e| ImageError::io(path, e))?.len();
    let mut archive = tar::Archive::new(f);
    let mut members = HashMap::new();
    let entries = archive
        .entries_with_seek()
        .map_err(|e| corrupt(e.to_string()))?;
    for entry in entries {
        let entry = entry.map_err(|e| corrupt(e.to_string()))?;
        let name = crate::walk::sanitize(&entry.path_bytes(), &path.display().to_string())?;
        let off = entry.raw_file_position();
        let size = entry.size();
        if off.saturating_add(size) > len {
            return Err(corrupt(format!(
                "truncated: member `{name}` ends at byte {} but the file has {len}",
                off + size
            )));
        }
        if entry.header().entry_type().is_file() {
            members.insert(name, (off, size));
        }
    }
    if members.is_empty() {
        return Err(corrupt(
            "no files in the archive (empty or not a tar)".into(),
        ));
    }
    Ok(members)
}
