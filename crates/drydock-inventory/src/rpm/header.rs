//! The rpm header blob, as every rpm database backend stores it.
//!
//! A blob is `il` (entry count) and `dl` (data length), both big-endian `u32`, then `il`
//! index entries of 16 bytes (`tag`, `type`, `offset`, `count`, big-endian) and `dl` bytes of
//! data that the entries point into. Unlike a header inside an `.rpm` file, a stored blob has
//! no 8-byte magic in front.
//!
//! Every entry is checked the way rpm's own `hdrblobVerifyInfo` checks it before anything is
//! read: a known type, the alignment of its type, an offset inside the data and a count that
//! fits. The data of the few tags drydock reads is then checked in full (strings end inside
//! the data). Checking the strings of every entry would cost `entries × data` on a hostile
//! blob; the cheap checks run for all entries, the full checks only where data is read.

/// Tags drydock reads (`rpmtag.h`).
pub(crate) mod tag {
    pub const NAME: u32 = 1000;
    pub const VERSION: u32 = 1001;
    pub const RELEASE: u32 = 1002;
    pub const EPOCH: u32 = 1003;
    pub const LICENSE: u32 = 1014;
    pub const ARCH: u32 = 1022;
    pub const SOURCERPM: u32 = 1044;
}

/// rpm's own limits (`header_internal.h`: `HEADER_TAGS_MAX`, `HEADER_DATA_MAX`).
const MAX_ENTRIES: u32 = 0xffff;
const MAX_DATA: u32 = 0x0fff_ffff;
const ENTRY_SIZE: usize = 16;

/// The largest header blob read (issue 14 case 10): rpm allows about 256 MiB of data, and a
/// real header, even of a package with tens of thousands of files, is a few MiB. Blobs are
/// decoded one at a time, so this bounds what one package costs.
pub(crate) const MAX_BLOB: usize = 64 << 20;

/// Entry types (`rpmTagType`).
const TYPE_CHAR: u32 = 1;
const TYPE_INT8: u32 = 2;
const TYPE_INT16: u32 = 3;
const TYPE_INT32: u32 = 4;
const TYPE_INT64: u32 = 5;
const TYPE_STRING: u32 = 6;
const TYPE_BIN: u32 = 7;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

/// Why a header blob could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Error {
    #[error("header blob of {len} bytes is shorter than its 8-byte preamble")]
    TooShort { len: usize },
    #[error(
        "header blob of {len} bytes; at most {} MiB are read (the bound on one rpm header, docs/limits.md)",
        MAX_BLOB >> 20
    )]
    TooLarge { len: usize },
    #[error("header claims {il} entries (rpm allows 1 to {MAX_ENTRIES})")]
    EntryCount { il: u32 },
    #[error("header claims {dl} data bytes (rpm allows at most {MAX_DATA})")]
    DataLength { dl: u32 },
    #[error("header blob is {actual} bytes but its counts say {expected}")]
    SizeMismatch { expected: u64, actual: usize },
    #[error("entry {index} (tag {tag}) has unknown type `{ty}`")]
    BadType { index: usize, tag: u32, ty: u32 },
    #[error("entry {index} (tag {tag}) has offset `{offset}` outside the {dl}-byte data")]
    BadOffset {
        index: usize,
        tag: u32,
        offset: u32,
        dl: u32,
    },
    #[error("entry {index} (tag {tag}) has offset `{offset}` misaligned for type `{ty}`")]
    Misaligned {
        index: usize,
        tag: u32,
        offset: u32,
        ty: u32,
    },
    #[error("entry {index} (tag {tag}) has count `{count}` that does not fit the data")]
    BadCount { index: usize, tag: u32, count: u32 },
    #[error("tag {tag} is a string that runs past the end of the data")]
    Unterminated { tag: u32 },
    #[error("tag {tag} has type `{ty}`, expected {expected}")]
    WrongType {
        tag: u32,
        ty: u32,
        expected: &'static str,
    },
    #[error("tag {tag} is not UTF-8")]
    NotUtf8 { tag: u32 },
    #[error("required tag {tag} ({name}) is missing")]
    Missing { tag: u32, name: &'static str },
}

/// What drydock takes from one header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    pub name: String,
    /// `None` when the header has no EPOCH tag (rpm's `%{EPOCHNUM}` prints 0 then).
    pub epoch: Option<u32>,
    pub version: String,
    pub release: String,
    pub arch: Option<String>,
    pub source_rpm: Option<String>,
    pub license: Option<String>,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    tag: u32,
    ty: u32,
    offset: u32,
    count: u32,
}

fn be32(b: &[u8], at: usize) -> u32 {
    let mut w = [0u8; 4];
    if let Some(s) = b.get(at..at + 4) {
        w.copy_from_slice(s);
    }
    u32::from_be_bytes(w)
}

/// A validated view of a blob: entries whose offsets and counts fit `data`.
struct Blob<'a> {
    entries: &'a [u8],
    data: &'a [u8],
}

impl<'a> Blob<'a> {
    fn parse(blob: &'a [u8]) -> Result<Self, Error> {
        if blob.len() < 8 {
            return Err(Error::TooShort { len: blob.len() });
        }
        if blob.len() > MAX_BLOB {
            return Err(Error::TooLarge { len: blob.len() });
        }
        let il = be32(blob, 0);
        let dl = be32(blob, 4);
        if il == 0 || il > MAX_ENTRIES {
            return Err(Error::EntryCount { il });
        }
        if dl > MAX_DATA {
            return Err(Error::DataLength { dl });
        }
        let expected = 8 + u64::from(il) * ENTRY_SIZE as u64 + u64::from(dl);
        if expected != blob.len() as u64 {
            return Err(Error::SizeMismatch {
                expected,
                actual: blob.len(),
            });
        }
        // In range: `expected` equals the length, so these sums cannot overflow.
        let data_start = 8 + il as usize * ENTRY_SIZE;
        let b = Blob {
            entries: &blob[8..data_start],
            data: &blob[data_start..],
        };
        for index in 0..il as usize {
            b.check(index, b.entry(index))?;
        }
        Ok(b)
    }

    fn entry(&self, index: usize) -> Entry {
        let at = index * ENTRY_SIZE;
        Entry {
            tag: be32(self.entries, at),
            ty: be32(self.entries, at + 4),
            offset: be32(self.entries, at + 8),
            count: be32(self.entries, at + 12),
        }
    }

    fn len(&self) -> usize {
        self.entries.len() / ENTRY_SIZE
    }

    /// The checks rpm makes on every entry, without walking string data.
    fn check(&self, index: usize, e: Entry) -> Result<(), Error> {
        let Entry {
            tag,
            ty,
            offset,
            count,
        } = e;
        let dl = self.data.len() as u64;
        let size: u64 = match ty {
            TYPE_CHAR | TYPE_INT8 | TYPE_BIN => 1,
            TYPE_INT16 => 2,
            TYPE_INT32 => 4,
            TYPE_INT64 => 8,
            TYPE_STRING | TYPE_STRING_ARRAY | TYPE_I18NSTRING => 1,
            _ => return Err(Error::BadType { index, tag, ty }),
        };
        if u64::from(offset) >= dl {
            return Err(Error::BadOffset {
                index,
                tag,
                offset,
                dl: self.data.len() as u32,
            });
        }
        if !u64::from(offset).is_multiple_of(size) {
            return Err(Error::Misaligned {
                index,
                tag,
                offset,
                ty,
            });
        }
        // Strings take at least one byte each (their NUL); a single STRING has count 1.
        let fits = count >= 1
            && u64::from(count) * size <= dl - u64::from(offset)
            && (ty != TYPE_STRING || count == 1);
        if !fits {
            return Err(Error::BadCount { index, tag, count });
        }
        Ok(())
    }

    fn find(&self, tag: u32) -> Option<Entry> {
        (0..self.len())
            .map(|i| self.entry(i))
            .find(|e| e.tag == tag)
    }

    /// The first string of a STRING, STRING_ARRAY or I18NSTRING entry.
    fn string(&self, tag: u32) -> Result<Option<&'a [u8]>, Error> {
        let Some(e) = self.find(tag) else {
            return Ok(None);
        };
        if !matches!(e.ty, TYPE_STRING | TYPE_STRING_ARRAY | TYPE_I18NSTRING) {
            return Err(Error::WrongType {
                tag,
                ty: e.ty,
                expected: "a string",
            });
        }
        // `check` put the offset inside the data.
        let rest = self.data.get(e.offset as usize..).unwrap_or_default();
        let end = rest
            .iter()
            .position(|&c| c == 0)
            .ok_or(Error::Unterminated { tag })?;
        Ok(Some(&rest[..end]))
    }

    fn utf8(&self, tag: u32) -> Result<Option<String>, Error> {
        match self.string(tag)? {
            None => Ok(None),
            Some(s) => std::str::from_utf8(s)
                .map(|s| Some(s.to_owned()))
                .map_err(|_| Error::NotUtf8 { tag }),
        }
    }

    fn int32(&self, tag: u32) -> Result<Option<u32>, Error> {
        let Some(e) = self.find(tag) else {
            return Ok(None);
        };
        if e.ty != TYPE_INT32 {
            return Err(Error::WrongType {
                tag,
                ty: e.ty,
                expected: "INT32",
            });
        }
        Ok(Some(be32(self.data, e.offset as usize)))
    }
}

fn required(value: Option<String>, tag: u32, name: &'static str) -> Result<String, Error> {
    value.ok_or(Error::Missing { tag, name })
}

/// Reads the package fields of one stored header blob.
pub(crate) fn parse(blob: &[u8]) -> Result<Header, Error> {
    let b = Blob::parse(blob)?;
    Ok(Header {
        name: required(b.utf8(tag::NAME)?, tag::NAME, "NAME")?,
        epoch: b.int32(tag::EPOCH)?,
        version: required(b.utf8(tag::VERSION)?, tag::VERSION, "VERSION")?,
        release: required(b.utf8(tag::RELEASE)?, tag::RELEASE, "RELEASE")?,
        arch: b.utf8(tag::ARCH)?,
        source_rpm: b.utf8(tag::SOURCERPM)?,
        // Licences of old packages may be Latin-1; a wrong character is better than no licence.
        license: b
            .string(tag::LICENSE)?
            .map(|s| String::from_utf8_lossy(s).into_owned()),
    })
}

/// Builds header blobs for tests: `(tag, type, data)` entries, data laid out in order with
/// the alignment each type needs.
#[cfg(test)]
pub(crate) fn build(entries: &[(u32, u32, u32, &[u8])]) -> Vec<u8> {
    let mut index = Vec::new();
    let mut data: Vec<u8> = Vec::new();
    for &(tag, ty, count, bytes) in entries {
        let align = match ty {
            TYPE_INT16 => 2,
            TYPE_INT32 => 4,
            TYPE_INT64 => 8,
            _ => 1,
        };
        while !data.len().is_multiple_of(align) {
            data.push(0);
        }
        for v in [tag, ty, data.len() as u32, count] {
            index.extend_from_slice(&v.to_be_bytes());
        }
        data.extend_from_slice(bytes);
    }
    let mut out = Vec::new();
    out.extend_from_slice(&(entries.len() as u32).to_be_bytes());
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(&index);
    out.extend_from_slice(&data);
    out
}

#[cfg(test)]
pub(crate) fn sample() -> Vec<u8> {
    build(&[
        (tag::NAME, TYPE_STRING, 1, b"zlib\0"),
        (tag::VERSION, TYPE_STRING, 1, b"1.2.11\0"),
        (tag::RELEASE, TYPE_STRING, 1, b"3.el8\0"),
        (tag::EPOCH, TYPE_INT32, 1, &2u32.to_be_bytes()),
        (tag::LICENSE, TYPE_STRING, 1, b"zlib and Boost\0"),
        (tag::ARCH, TYPE_STRING, 1, b"x86_64\0"),
        (
            tag::SOURCERPM,
            TYPE_STRING,
            1,
            b"zlib-1.2.11-3.el8.src.rpm\0",
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 14 case 10: a blob past the bound on one header is refused before its entries
    /// are looked at.
    #[test]
    fn issue14_case10_header_blob_is_bounded() {
        let mut blob = sample();
        assert!(parse(&blob).is_ok());
        blob.resize(MAX_BLOB + 1, 0);
        assert_eq!(
            parse(&blob).map(|h| h.name),
            Err(Error::TooLarge { len: MAX_BLOB + 1 })
        );
    }

    fn set_be32(b: &mut [u8], at: usize, v: u32) {
        b[at..at + 4].copy_from_slice(&v.to_be_bytes());
    }

    #[test]
    fn reads_fields() {
        let h = parse(&sample()).expect("valid header");
        assert_eq!(h.name, "zlib");
        assert_eq!(h.epoch, Some(2));
        assert_eq!(h.version, "1.2.11");
        assert_eq!(h.release, "3.el8");
        assert_eq!(h.arch.as_deref(), Some("x86_64"));
        assert_eq!(h.source_rpm.as_deref(), Some("zlib-1.2.11-3.el8.src.rpm"));
        assert_eq!(h.license.as_deref(), Some("zlib and Boost"));
    }

    #[test]
    fn every_truncation_is_an_error() {
        let blob = sample();
        for len in 0..blob.len() {
            assert!(parse(&blob[..len]).is_err(), "truncated to {len}");
        }
    }

    #[test]
    fn absurd_counts() {
        let mut b = sample();
        set_be32(&mut b, 0, u32::MAX);
        assert_eq!(parse(&b), Err(Error::EntryCount { il: u32::MAX }));
        let mut b = sample();
        set_be32(&mut b, 4, u32::MAX);
        assert_eq!(parse(&b), Err(Error::DataLength { dl: u32::MAX }));
        let mut b = sample();
        set_be32(&mut b, 4, 3);
        assert!(matches!(parse(&b), Err(Error::SizeMismatch { .. })));
        // The count of the first entry (NAME, a STRING) claims a billion strings.
        let mut b = sample();
        set_be32(&mut b, 8 + 12, 1_000_000_000);
        assert!(matches!(parse(&b), Err(Error::BadCount { tag: 1000, .. })));
    }

    #[test]
    fn absurd_offsets_and_types() {
        let mut b = sample();
        set_be32(&mut b, 8 + 8, 0x7fff_ffff);
        let err = parse(&b).expect_err("offset past the data");
        assert!(matches!(err, Error::BadOffset { tag: 1000, .. }));
        assert!(err.to_string().contains("offset `2147483647`"), "{err}");
        let mut b = sample();
        set_be32(&mut b, 8 + 4, 42);
        assert!(matches!(parse(&b), Err(Error::BadType { ty: 42, .. })));
        // EPOCH (the fourth entry) moved to an odd offset.
        let mut b = sample();
        let at = 8 + 3 * 16 + 8;
        let off = be32(&b, at);
        set_be32(&mut b, at, off + 1);
        assert!(matches!(
            parse(&b),
            Err(Error::Misaligned { tag: 1003, .. })
        ));
    }

    #[test]
    fn unterminated_string() {
        let b = build(&[(tag::NAME, TYPE_STRING, 1, b"zlib")]);
        assert_eq!(parse(&b), Err(Error::Unterminated { tag: tag::NAME }));
    }

    #[test]
    fn missing_and_mistyped_tags() {
        let b = build(&[(tag::NAME, TYPE_STRING, 1, b"zlib\0")]);
        assert!(matches!(parse(&b), Err(Error::Missing { tag: 1001, .. })));
        let b = build(&[(tag::NAME, TYPE_INT32, 1, &[0, 0, 0, 1])]);
        assert!(matches!(parse(&b), Err(Error::WrongType { tag: 1000, .. })));
    }
}
