//! A streaming tar reader, written for hostile input.
//!
//! It reads what GNU tar, Python's `tarfile` and Go's `archive/tar` (what containerd uses)
//! read, so an image built with any of them is seen as a container runtime would see it:
//! ustar and v7 headers, GNU long names and link names (`L`, `K`), PAX extended headers (`x`;
//! global `g` headers are skipped), base-256 sizes, and sparse files in every form GNU tar
//! writes (old GNU `S` entries with their extension blocks, PAX sparse 0.0, 0.1 and 1.0), whose
//! holes read as zeros.
//!
//! Nothing an archive declares is allocated before it is bounded: extension headers (long
//! names, PAX records) and sparse maps are refused past [`MAX_META`] bytes, so a layer cannot
//! make the reader hold more than a few MiB whatever it claims. Entry data is never buffered
//! here; the caller reads it through [`Reader::data`] or lets [`Reader::next`] skip it.

use std::io::{self, Read};
use std::sync::Arc;

mod header;
mod sparse;

pub(crate) use sparse::{Expanded, SparseMap};

use header::{Header, TypeFlag};

const BLOCK: u64 = 512;

/// The most bytes one extension header (a GNU long name or link, a PAX header) or one sparse
/// map may hold. Linux paths stop at 4 KiB; 1 MiB leaves room for any real archive.
pub(crate) const MAX_META: u64 = 1 << 20;

/// What an entry is, as far as an image walk cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    File,
    Dir,
    Symlink,
    Hardlink,
    /// Devices, FIFOs, volume labels and types this reader does not know: never read.
    Other,
}

/// One entry's header, with every extension applied.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub path: Vec<u8>,
    pub link: Vec<u8>,
    pub kind: Kind,
    pub mode: u32,
    /// The file's size as extracted (holes included for a sparse file).
    pub size: u64,
    /// Where the stored data starts in the stream, and how many bytes are stored.
    pub data_offset: u64,
    pub stored: u64,
    /// The data's layout when the entry is sparse.
    pub sparse: Option<Arc<SparseMap>>,
}

/// A byte source the reader can skip forward in: a file seeks, a stream reads and drops.
pub(crate) trait Source: Read {
    fn skip(&mut self, n: u64) -> io::Result<()> {
        let copied = io::copy(&mut self.take(n), &mut io::sink())?;
        if copied < n {
            return Err(truncated());
        }
        Ok(())
    }
}

/// A plain stream: skipping reads.
pub(crate) struct Stream<R>(pub R);

impl<R: Read> Read for Stream<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}
impl<R: Read> Source for Stream<R> {}

/// A buffered file: skipping seeks (the caller checks offsets against the file's length).
impl Source for io::BufReader<std::fs::File> {
    fn skip(&mut self, n: u64) -> io::Result<()> {
        let n = i64::try_from(n).map_err(|_| invalid("entry size past 2^63".into()))?;
        self.seek_relative(n)
    }
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

fn truncated() -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "truncated archive: an entry ends past the end of the data",
    )
}

/// Reads headers one after another; see the module docs.
pub(crate) struct Reader<R> {
    inner: R,
    /// Bytes consumed from `inner`.
    pos: u64,
    /// Stored bytes of the current entry not yet consumed, then its padding.
    left: u64,
    pad: u64,
    done: bool,
}

impl<R: Source> Reader<R> {
    pub fn new(inner: R) -> Self {
        Reader {
            inner,
            pos: 0,
            left: 0,
            pad: 0,
            done: false,
        }
    }

    pub fn into_inner(self) -> R {
        self.inner
    }

    fn read_block(&mut self, buf: &mut [u8; BLOCK as usize]) -> io::Result<bool> {
        let mut filled = 0;
        while filled < buf.len() {
            match self.inner.read(&mut buf[filled..]) {
                Ok(0) if filled == 0 => return Ok(false),
                Ok(0) => return Err(truncated()),
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.pos += BLOCK;
        Ok(true)
    }

    fn skip(&mut self, n: u64) -> io::Result<()> {
        if n > 0 {
            self.inner.skip(n)?;
            self.pos += n;
        }
        Ok(())
    }

    /// Reads `size` bytes of an extension header's data, refusing more than [`MAX_META`].
    fn read_meta(&mut self, what: &str, size: u64) -> io::Result<Vec<u8>> {
        if size > MAX_META {
            return Err(invalid(format!(
                "{what} of {size} bytes at byte {} is over the {MAX_META}-byte bound",
                self.pos
            )));
        }
        let mut data = Vec::with_capacity(size as usize);
        (&mut self.inner).take(size).read_to_end(&mut data)?;
        if (data.len() as u64) < size {
            return Err(truncated());
        }
        self.pos += size;
        self.skip(padding(size))?;
        Ok(data)
    }

    /// The next entry, after skipping what is left of the previous one. `None` at the end of
    /// the archive (a zero block, or the end of the data at a header boundary).
    pub fn next(&mut self) -> io::Result<Option<Entry>> {
        if self.done {
            return Ok(None);
        }
        let (left, pad) = (self.left, self.pad);
        self.left = 0;
        self.pad = 0;
        self.skip(left + pad)?;
        let mut long_name: Option<Vec<u8>> = None;
        let mut long_link: Option<Vec<u8>> = None;
        let mut pax: Option<header::Pax> = None;
        let mut block = [0u8; BLOCK as usize];
        loop {
            let at = self.pos;
            if !self.read_block(&mut block)? || block.iter().all(|&b| b == 0) {
                self.done = true;
                return Ok(None);
            }
            let h =
                Header::parse(&block).map_err(|m| invalid(format!("header at byte {at}: {m}")))?;
            match h.flag {
                TypeFlag::LongName => {
                    long_name = Some(trim_nul(self.read_meta("a GNU long name", h.size)?))
                }
                TypeFlag::LongLink => {
                    long_link = Some(trim_nul(self.read_meta("a GNU long link name", h.size)?))
                }
                TypeFlag::Pax => {
                    let data = self.read_meta("a PAX header", h.size)?;
                    let parsed = header::Pax::parse(&data)
                        .map_err(|m| invalid(format!("PAX header at byte {at}: {m}")))?;
                    pax = Some(parsed);
                }
                TypeFlag::PaxGlobal => self.skip(h.size + padding(h.size))?,
                _ => {
                    return self
                        .finish_entry(h, &block, long_name, long_link, pax)
                        .map(Some);
                }
            }
        }
    }

    fn finish_entry(
        &mut self,
        h: Header,
        block: &[u8; BLOCK as usize],
        long_name: Option<Vec<u8>>,
        long_link: Option<Vec<u8>>,
        pax: Option<header::Pax>,
    ) -> io::Result<Entry> {
        let mut path = long_name.unwrap_or(h.name);
        let mut link = long_link.unwrap_or(h.link);
        let mut stored = h.size;
        let pax = pax.unwrap_or_default();
        if let Some(p) = pax.path {
            path = p;
        }
        if let Some(l) = pax.link {
            link = l;
        }
        if let Some(s) = pax.size {
            stored = s;
        }
        let mut kind = match h.flag {
            TypeFlag::File | TypeFlag::GnuSparse => Kind::File,
            TypeFlag::Dir => Kind::Dir,
            TypeFlag::Symlink => Kind::Symlink,
            TypeFlag::Hardlink => Kind::Hardlink,
            _ => Kind::Other,
        };
        // A v7 archive marks directories by a trailing slash alone.
        if kind == Kind::File && path.last() == Some(&b'/') {
            kind = Kind::Dir;
        }
        let mut sparse = None;
        let mut size = stored;
        if h.flag == TypeFlag::GnuSparse {
            let map = sparse::read_gnu(block, || {
                let mut ext = [0u8; BLOCK as usize];
                if !self.read_block(&mut ext)? {
                    return Err(truncated());
                }
                Ok(ext)
            })?;
            size = map.real_size;
            sparse = Some(Arc::new(map));
        } else if kind == Kind::File
            && let Some(ps) = pax.sparse
        {
            if let Some(name) = ps.name.clone() {
                path = name;
            }
            let map = if ps.major == Some(1) {
                // 1.0: the map is text at the start of the data, padded to a block.
                let (map, used) = sparse::read_pax1(&mut self.inner, ps.real_size, stored)?;
                self.pos += used;
                stored -= used;
                map
            } else {
                sparse::from_pax0(&ps)?
            };
            size = map.real_size;
            sparse = Some(Arc::new(map));
        }
        if let Some(map) = &sparse {
            map.check(stored)?;
        }
        self.left = stored;
        self.pad = padding(stored);
        Ok(Entry {
            path,
            link,
            kind,
            mode: h.mode,
            size,
            data_offset: self.pos,
            stored,
            sparse,
        })
    }

    /// The current entry's content as extracted (sparse holes as zeros).
    pub fn data<'a>(&'a mut self, entry: &'a Entry) -> Data<'a, R> {
        Data {
            reader: self,
            sparse: entry.sparse.as_ref().map(|m| sparse::Expand::new(m)),
        }
    }
}

/// Reads the current entry's content; see [`Reader::data`].
pub(crate) struct Data<'a, R> {
    reader: &'a mut Reader<R>,
    sparse: Option<sparse::Expand<'a>>,
}

impl<R: Source> Data<'_, R> {
    fn read_stored(reader: &mut Reader<R>, buf: &mut [u8]) -> io::Result<usize> {
        let want = (buf.len() as u64).min(reader.left) as usize;
        if want == 0 {
            return Ok(0);
        }
        let n = reader.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Err(truncated());
        }
        reader.left -= n as u64;
        reader.pos += n as u64;
        Ok(n)
    }
}

impl<R: Source> Read for Data<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.sparse {
            None => Self::read_stored(self.reader, buf),
            Some(expand) => {
                let reader = &mut *self.reader;
                expand.read(buf, |b| Self::read_stored(reader, b))
            }
        }
    }
}

fn padding(size: u64) -> u64 {
    (BLOCK - size % BLOCK) % BLOCK
}

fn trim_nul(mut v: Vec<u8>) -> Vec<u8> {
    if let Some(end) = v.iter().position(|&b| b == 0) {
        v.truncate(end);
    }
    v
}

/// Lists the entries of `data` and reads every file through: what the fuzz target drives.
pub fn fuzz_entries(data: &[u8]) -> io::Result<usize> {
    let mut r = Reader::new(Stream(data));
    let mut n = 0;
    let mut sink = [0u8; 4096];
    while let Some(e) = r.next()? {
        n += 1;
        if e.kind == Kind::File {
            // Bounded like a walk bounds it: a sparse file may claim any size.
            let mut d = r.data(&e).take(1 << 20);
            while d.read(&mut sink)? > 0 {}
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests;
