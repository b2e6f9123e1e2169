//! Sparse files: where the stored chunks go in the extracted file. Everything between chunks
//! (and after the last, up to the real size) is a hole and reads as zeros.

use std::io::{self, Read};

use super::header::{PaxSparse, number};
use super::{BLOCK, MAX_META, invalid, truncated};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SparseMap {
    /// `(offset in the extracted file, length)`, in stored order.
    pub chunks: Vec<(u64, u64)>,
    pub real_size: u64,
}

impl SparseMap {
    /// Chunks must ascend without overlapping, stay inside the real size, and add up to the
    /// stored bytes; otherwise the entry is corrupt (and would read the next header as data).
    pub fn check(&self, stored: u64) -> io::Result<()> {
        let mut end = 0u64;
        let mut total = 0u64;
        for &(off, len) in &self.chunks {
            let chunk_end = off
                .checked_add(len)
                .ok_or_else(|| invalid("sparse chunk past 2^64".into()))?;
            if off < end || chunk_end > self.real_size {
                return Err(invalid(format!(
                    "sparse map out of order or past the file's {} bytes",
                    self.real_size
                )));
            }
            end = chunk_end;
            total += len;
        }
        if total != stored {
            return Err(invalid(format!(
                "sparse map lists {total} bytes but the entry stores {stored}"
            )));
        }
        Ok(())
    }
}

/// Reads an old-GNU sparse map: four chunks in the header, then 21 per extension block for as
/// long as the "extended" flag is set. `next_block` reads the next extension block.
pub(super) fn read_gnu(
    header: &[u8; 512],
    mut next_block: impl FnMut() -> io::Result<[u8; 512]>,
) -> io::Result<SparseMap> {
    let num = |b: &[u8]| number(b).map_err(|m| invalid(format!("sparse header: {m}")));
    let mut chunks = Vec::new();
    let push = |chunks: &mut Vec<(u64, u64)>, b: &[u8]| -> io::Result<()> {
        if b[0] != 0 {
            chunks.push((num(&b[..12])?, num(&b[12..24])?));
        }
        Ok(())
    };
    for i in 0..4 {
        push(&mut chunks, &header[386 + 24 * i..386 + 24 * (i + 1)])?;
    }
    let real_size = num(&header[483..495])?;
    let mut extended = header[482] != 0;
    let mut blocks = 0u64;
    while extended {
        blocks += 1;
        if blocks * BLOCK > MAX_META {
            return Err(invalid(format!(
                "sparse map over the {MAX_META}-byte bound"
            )));
        }
        let ext = next_block()?;
        for i in 0..21 {
            push(&mut chunks, &ext[24 * i..24 * (i + 1)])?;
        }
        extended = ext[504] != 0;
    }
    Ok(SparseMap { chunks, real_size })
}

/// PAX sparse 0.0 (repeated offset/numbytes records) and 0.1 (`GNU.sparse.map`).
pub(super) fn from_pax0(ps: &PaxSparse) -> io::Result<SparseMap> {
    let real_size = ps
        .real_size
        .ok_or_else(|| invalid("PAX sparse entry without GNU.sparse.size".into()))?;
    let numbers: Vec<u64> = match &ps.map {
        Some(map) if !map.is_empty() => map
            .split(|&b| b == b',')
            .map(|n| {
                std::str::from_utf8(n)
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| invalid("GNU.sparse.map holds a non-number".into()))
            })
            .collect::<io::Result<_>>()?,
        Some(_) => Vec::new(),
        None => ps.pairs.clone(),
    };
    if !numbers.len().is_multiple_of(2) {
        return Err(invalid("sparse map with an odd count of numbers".into()));
    }
    Ok(SparseMap {
        chunks: numbers.chunks(2).map(|p| (p[0], p[1])).collect(),
        real_size,
    })
}

/// PAX sparse 1.0: the map is decimal text at the start of the stored data (a count, then an
/// offset and a length per chunk, each ended by a newline), padded to a block. Returns the map
/// and how many stored bytes it took.
pub(super) fn read_pax1<R: Read>(
    inner: &mut R,
    real_size: Option<u64>,
    stored: u64,
) -> io::Result<(SparseMap, u64)> {
    let real_size =
        real_size.ok_or_else(|| invalid("PAX sparse entry without GNU.sparse.realsize".into()))?;
    let mut numbers: Vec<u64> = Vec::new();
    let mut want: Option<u64> = None;
    let mut digits: Vec<u8> = Vec::new();
    let mut used = 0u64;
    let mut block = [0u8; BLOCK as usize];
    while want.is_none_or(|w| numbers.len() as u64 != w) {
        if used + BLOCK > stored.min(MAX_META) {
            return Err(invalid(format!(
                "sparse map longer than the entry or the {MAX_META}-byte bound"
            )));
        }
        inner.read_exact(&mut block).map_err(|e| {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                truncated()
            } else {
                e
            }
        })?;
        used += BLOCK;
        for &b in &block {
            if want.is_some_and(|w| numbers.len() as u64 == w) {
                break;
            }
            match b {
                b'0'..=b'9' if digits.len() < 20 => digits.push(b),
                b'\n' if !digits.is_empty() => {
                    let n: u64 = std::str::from_utf8(&digits)
                        .ok()
                        .and_then(|s| s.parse().ok())
                        .ok_or_else(|| invalid("sparse map number past 2^64".into()))?;
                    digits.clear();
                    match want {
                        None => {
                            want = Some(n.checked_mul(2).ok_or_else(|| {
                                invalid("sparse map chunk count past 2^63".into())
                            })?)
                        }
                        Some(_) => numbers.push(n),
                    }
                }
                _ => {
                    return Err(invalid(
                        "sparse map is not decimal numbers and newlines".into(),
                    ));
                }
            }
        }
    }
    Ok((
        SparseMap {
            chunks: numbers.chunks(2).map(|p| (p[0], p[1])).collect(),
            real_size,
        },
        used,
    ))
}

/// Turns stored chunks into the extracted byte stream.
pub(super) struct Expand<'a> {
    map: &'a SparseMap,
    pos: u64,
    chunk: usize,
}

impl<'a> Expand<'a> {
    pub fn new(map: &'a SparseMap) -> Self {
        Expand {
            map,
            pos: 0,
            chunk: 0,
        }
    }

    /// Fills `buf` from `stored` (which reads the next stored bytes) and the holes.
    pub fn read(
        &mut self,
        buf: &mut [u8],
        mut stored: impl FnMut(&mut [u8]) -> io::Result<usize>,
    ) -> io::Result<usize> {
        loop {
            if buf.is_empty() || self.pos >= self.map.real_size {
                return Ok(0);
            }
            let (start, len) = match self.map.chunks.get(self.chunk) {
                Some(&c) => c,
                None => (self.map.real_size, 0),
            };
            let room = buf.len() as u64;
            if self.pos < start {
                let n = room.min(start - self.pos) as usize;
                buf[..n].fill(0);
                self.pos += n as u64;
                return Ok(n);
            }
            if self.pos < start + len {
                let n = room.min(start + len - self.pos) as usize;
                let got = stored(&mut buf[..n])?;
                if got == 0 {
                    return Err(truncated());
                }
                self.pos += got as u64;
                return Ok(got);
            }
            self.chunk += 1;
        }
    }
}

/// A sparse member read from its stored bytes: what an archive's blob store hands out.
pub(crate) struct Expanded<R> {
    stored: R,
    map: std::sync::Arc<SparseMap>,
    pos: u64,
    chunk: usize,
}

impl<R: Read> Expanded<R> {
    pub fn new(stored: R, map: std::sync::Arc<SparseMap>) -> Self {
        Expanded {
            stored,
            map,
            pos: 0,
            chunk: 0,
        }
    }
}

impl<R: Read> Read for Expanded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut e = Expand {
            map: &self.map,
            pos: self.pos,
            chunk: self.chunk,
        };
        let stored = &mut self.stored;
        let n = e.read(buf, |b| stored.read(b))?;
        self.pos = e.pos;
        self.chunk = e.chunk;
        Ok(n)
    }
}
