//! Streaming one layer: verify digests, decompress, sanitise paths, collect whiteouts, and read
//! only the files the visitor wants.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, BufRead, BufReader, Read};

use crate::digest::{
    Budget, BudgetReader, Digest, HashingReader, LimitReader, is_budget_spent, is_limit_exceeded,
};
use crate::error::{ImageError, Result};
use crate::tar;
use crate::{EntryKind, FileMeta, FileVisitor, Limits, WalkWarning};

/// Compression of a blob, sniffed from its first bytes (media types lie often enough).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    pub fn sniff(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }
}

/// What one layer holds, as far as the merge needs it.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct LayerWalk<O> {
    pub files: Vec<(String, O)>,
    pub symlinks: BTreeMap<String, String>,
    pub hardlinks: BTreeMap<String, String>,
    /// Wanted paths that are links: resolved after the merge.
    pub wanted_links: Vec<(String, FileMeta)>,
    pub whiteouts: Vec<String>,
    pub opaque_dirs: Vec<String>,
    /// Every path this layer writes (files, dirs, links, devices), whiteouts excluded, with
    /// what it is (a regular file's metadata is kept so directory symlinks can alias it).
    pub paths: HashMap<String, PathMeta>,
    pub blob_digest: Digest,
    pub diff_id: Digest,
    pub size: u64,
    pub warnings: Vec<WalkWarning>,
}

impl<O> LayerWalk<O> {
    /// Nothing walked yet; the digests are those of no bytes until the walk sets them.
    pub fn empty() -> Self {
        LayerWalk {
            files: Vec::new(),
            symlinks: BTreeMap::new(),
            hardlinks: BTreeMap::new(),
            wanted_links: Vec::new(),
            whiteouts: Vec::new(),
            opaque_dirs: Vec::new(),
            paths: HashMap::new(),
            blob_digest: Digest::of(b""),
            diff_id: Digest::of(b""),
            size: 0,
            warnings: Vec::new(),
        }
    }
}

/// What a path in a layer is, as far as the merge needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum PathMeta {
    File(FileMeta),
    Dir,
    /// Links (recorded in their own maps), devices, FIFOs.
    Other,
}

/// Expected digests of a layer blob; `None` where the format records none.
#[derive(Debug, Clone, Default)]
pub(crate) struct Expect {
    pub blob: Option<Digest>,
    pub diff_id: Option<Digest>,
}

/// Cleans a tar entry name into an image-root-relative path: leading `/` and `./` dropped, `.`
/// components dropped. A `..` component is an attack (or a broken builder) and an error.
pub(crate) fn sanitize(raw: &[u8], layer: &str) -> Result<String> {
    let s = String::from_utf8_lossy(raw);
    let mut out = String::with_capacity(s.len());
    for comp in s.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                return Err(ImageError::PathTraversal {
                    layer: layer.to_string(),
                    entry: s.into_owned(),
                });
            }
            c => {
                if !out.is_empty() {
                    out.push('/');
                }
                out.push_str(c);
            }
        }
    }
    Ok(out)
}

fn split_parent(path: &str) -> (&str, &str) {
    match path.rsplit_once('/') {
        Some((d, n)) => (d, n),
        None => ("", path),
    }
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// Reads a wanted entry's content into `buf`, sized for it at once: growing by doubling could
/// reserve twice the file (the size is bounded by `--max-file-size` before this is called).
fn read_entry<R: tar::Source>(
    archive: &mut tar::Reader<R>,
    entry: &tar::Entry,
    buf: &mut Vec<u8>,
) -> io::Result<()> {
    buf.clear();
    buf.reserve_exact(usize::try_from(entry.size).unwrap_or(0));
    archive.data(entry).read_to_end(buf)?;
    Ok(())
}

/// Reads a layer blob from `raw`, calling `visitor` for wanted files. `capture`, when set,
/// switches to the second-pass mode: only those paths are read, and each is visited under the
/// link names mapped to it.
pub(crate) fn walk_layer<R: Read + Send, V: FileVisitor>(
    raw: R,
    name: &str,
    expect: &Expect,
    limits: &Limits,
    visitor: &V,
    capture: Option<&BTreeMap<String, Vec<(String, FileMeta)>>>,
    budget: &Budget,
) -> Result<LayerWalk<V::Output>> {
    let corrupt = |reason: String| ImageError::Corrupt {
        what: "layer",
        name: name.to_string(),
        reason,
    };
    let mut walk = LayerWalk::empty();
    // Two stages on two threads, so one big layer uses two cores: the producer reads the blob,
    // hashes it and decompresses it; this thread hashes the uncompressed stream and parses the
    // tar. A bounded channel (4 MiB in flight) keeps memory flat, and a decompression bomb stops
    // as soon as the consumer's size bound trips and drops its end.
    let (tx, rx) = std::sync::mpsc::sync_channel::<io::Result<Vec<u8>>>(16);
    let (compression_tx, compression_rx) = std::sync::mpsc::sync_channel::<Compression>(1);
    let (produced, consumed) = std::thread::scope(|s| {
        let producer = s.spawn(move || produce(raw, &tx, &compression_tx));
        let compression = compression_rx.recv().unwrap_or(Compression::None);
        let mut unc = HashingReader::new(ChannelReader::new(rx), compression != Compression::None);
        let res = read_tar(
            BudgetReader {
                inner: LimitReader::new(&mut unc, limits.max_layer_size),
                budget,
            },
            name,
            limits,
            visitor,
            capture,
            &mut walk,
        );
        let uncompressed = unc.finish();
        // Dropping the receiver (inside `unc`) above stops a producer still inflating a bomb.
        let produced = producer.join();
        (produced, res.map(|()| (compression, uncompressed)))
    });
    let (compression, uncompressed) = match consumed {
        Ok(v) => v,
        Err(WalkFailure::Image(e)) => return Err(e),
        Err(WalkFailure::Io(e)) if is_limit_exceeded(&e) => {
            return Err(ImageError::TooLarge {
                layer: name.to_string(),
                limit: limits.max_layer_size,
            });
        }
        Err(WalkFailure::Io(e)) if is_budget_spent(&e) => {
            return Err(ImageError::ImageTooLarge {
                limit: budget.limit(),
            });
        }
        Err(WalkFailure::Io(e)) => return Err(corrupt(e.to_string())),
    };
    let blob_digest = match produced {
        Ok(Ok(d)) => d,
        Ok(Err(e)) => return Err(corrupt(e.to_string())),
        Err(_) => return Err(corrupt("the decompression thread panicked".into())),
    };
    let diff_id = match compression {
        Compression::None => blob_digest.clone(),
        _ => uncompressed
            .0
            .expect("uncompressed hashing is on for compressed layers"),
    };
    if let Some(exp) = &expect.blob
        && *exp != blob_digest
    {
        return Err(ImageError::DigestMismatch {
            what: "layer blob",
            name: name.to_string(),
            expected: exp.to_string(),
            actual: blob_digest.to_string(),
        });
    }
    if let Some(exp) = &expect.diff_id
        && *exp != diff_id
    {
        return Err(ImageError::DigestMismatch {
            what: "layer (diff_id)",
            name: name.to_string(),
            expected: exp.to_string(),
            actual: diff_id.to_string(),
        });
    }
    walk.blob_digest = blob_digest;
    walk.diff_id = diff_id;
    walk.size = uncompressed.1;
    Ok(walk)
}

/// The producer stage: hashes the blob as read, sniffs and decompresses it, and sends the
/// uncompressed bytes in chunks. Returns the blob digest once the whole blob was read.
fn produce<R: Read>(
    raw: R,
    tx: &std::sync::mpsc::SyncSender<io::Result<Vec<u8>>>,
    compression_tx: &std::sync::mpsc::SyncSender<Compression>,
) -> io::Result<Digest> {
    const CHUNK: usize = 256 * 1024;
    let mut raw = HashingReader::new(raw, true);
    let sent = (|| -> io::Result<()> {
        let mut buf = BufReader::with_capacity(CHUNK, &mut raw);
        let compression = Compression::sniff(buf.fill_buf()?);
        let _ = compression_tx.send(compression);
        let mut decoder: Box<dyn Read + '_> = match compression {
            Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(buf)),
            Compression::Zstd => Box::new(zstd::Decoder::with_buffer(buf)?),
            Compression::None => Box::new(buf),
        };
        loop {
            let mut chunk = vec![0u8; CHUNK];
            let mut filled = 0;
            while filled < CHUNK {
                match decoder.read(&mut chunk[filled..]) {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            if filled == 0 {
                return Ok(());
            }
            chunk.truncate(filled);
            if tx.send(Ok(chunk)).is_err() {
                return Ok(()); // the consumer stopped (an error or a bound): so do we
            }
        }
    })();
    if let Err(e) = sent {
        let msg = e.to_string();
        let _ = tx.send(Err(e));
        return Err(io::Error::other(msg));
    }
    // Whatever follows the compressed stream still belongs to the blob and its digest.
    io::copy(&mut raw, &mut io::sink())?;
    let (digest, _) = raw.finish();
    digest.ok_or_else(|| io::Error::other("blob hashing is always on"))
}

/// Reads the chunks a producer sends; an `Err` chunk is the producer's failure.
struct ChannelReader {
    rx: std::sync::mpsc::Receiver<io::Result<Vec<u8>>>,
    chunk: Vec<u8>,
    pos: usize,
}

impl ChannelReader {
    fn new(rx: std::sync::mpsc::Receiver<io::Result<Vec<u8>>>) -> Self {
        ChannelReader {
            rx,
            chunk: Vec::new(),
            pos: 0,
        }
    }
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.chunk.len() {
            match self.rx.recv() {
                Ok(Ok(chunk)) => {
                    self.chunk = chunk;
                    self.pos = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(0), // the producer finished
            }
        }
        let n = buf.len().min(self.chunk.len() - self.pos);
        buf[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

enum WalkFailure {
    Image(ImageError),
    Io(io::Error),
}

impl From<io::Error> for WalkFailure {
    fn from(e: io::Error) -> Self {
        WalkFailure::Io(e)
    }
}
impl From<ImageError> for WalkFailure {
    fn from(e: ImageError) -> Self {
        WalkFailure::Image(e)
    }
}

fn read_tar<R: Read, V: FileVisitor>(
    reader: R,
    name: &str,
    limits: &Limits,
    visitor: &V,
    capture: Option<&BTreeMap<String, Vec<(String, FileMeta)>>>,
    walk: &mut LayerWalk<V::Output>,
) -> std::result::Result<(), WalkFailure> {
    let mut archive = tar::Reader::new(tar::Stream(reader));
    let mut content = Vec::new();
    let mut saw_entry = false;
    while let Some(entry) = archive.next()? {
        saw_entry = true;
        let path = sanitize(&entry.path, name)?;
        if path.is_empty() {
            continue;
        }
        let mode = entry.mode;
        let (dir, base) = split_parent(&path);
        if let Some(hidden) = base.strip_prefix(".wh.") {
            if capture.is_none() {
                if hidden == ".wh..opq" {
                    walk.opaque_dirs.push(dir.to_string());
                } else if !hidden.is_empty() {
                    walk.whiteouts.push(join(dir, hidden));
                }
            }
            continue;
        }
        if let Some(capture) = capture {
            // Second pass: only the link targets asked for.
            if entry.kind == tar::Kind::File
                && let Some(aliases) = capture.get(&path)
                && entry.size <= limits.max_file_size
            {
                read_entry(&mut archive, &entry, &mut content)?;
                for (alias, meta) in aliases {
                    let meta = FileMeta {
                        size: content.len() as u64,
                        ..*meta
                    };
                    walk.files
                        .push((alias.clone(), visitor.visit(alias, &meta, &content)));
                }
            }
            continue;
        }
        match entry.kind {
            tar::Kind::File => {
                let size = entry.size;
                let meta = FileMeta {
                    size,
                    mode,
                    kind: EntryKind::File,
                };
                walk.paths.insert(path.clone(), PathMeta::File(meta));
                if visitor.wants(&path, &meta) {
                    if size > limits.max_file_size {
                        walk.warnings.push(WalkWarning {
                            path: path.clone(),
                            message: format!(
                                "skipped: {size} bytes is over the {} byte bound for analysed files",
                                limits.max_file_size
                            ),
                        });
                        continue;
                    }
                    read_entry(&mut archive, &entry, &mut content)?;
                    let out = visitor.visit(&path, &meta, &content);
                    walk.files.push((path, out));
                }
            }
            tar::Kind::Symlink => {
                walk.paths.insert(path.clone(), PathMeta::Other);
                let target = String::from_utf8_lossy(&entry.link).into_owned();
                let meta = FileMeta {
                    size: 0,
                    mode,
                    kind: EntryKind::Symlink,
                };
                if visitor.wants(&path, &meta) {
                    walk.wanted_links.push((path.clone(), meta));
                }
                walk.symlinks.insert(path, target);
            }
            tar::Kind::Hardlink => {
                walk.paths.insert(path.clone(), PathMeta::Other);
                let target = sanitize(&entry.link, name)?;
                let meta = FileMeta {
                    size: 0,
                    mode,
                    kind: EntryKind::Hardlink,
                };
                if visitor.wants(&path, &meta) {
                    walk.wanted_links.push((path.clone(), meta));
                }
                walk.hardlinks.insert(path, target);
            }
            tar::Kind::Dir => {
                walk.paths.insert(path, PathMeta::Dir);
            }
            tar::Kind::Other => {
                walk.paths.insert(path, PathMeta::Other);
            }
        }
    }
    if !saw_entry && capture.is_none() {
        walk.warnings.push(WalkWarning {
            path: String::new(),
            message: "layer holds no entries".into(),
        });
    }
    // Read to the end so the digests cover the whole stream (tar stops at its end marker).
    io::copy(&mut archive.into_inner(), &mut io::sink())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_paths() {
        assert_eq!(
            sanitize(b"./etc/os-release", "l").ok().as_deref(),
            Some("etc/os-release")
        );
        assert_eq!(
            sanitize(b"/usr//lib/./x", "l").ok().as_deref(),
            Some("usr/lib/x")
        );
        assert!(matches!(
            sanitize(b"../../etc/passwd", "l"),
            Err(ImageError::PathTraversal { .. })
        ));
        assert!(matches!(
            sanitize(b"usr/../../x", "l"),
            Err(ImageError::PathTraversal { .. })
        ));
    }
}
