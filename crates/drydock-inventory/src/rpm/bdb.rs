//! rpm's Berkeley DB backend (`Packages`, rpm < 4.16: RHEL/CentOS ≤ 8, Amazon Linux 2, …).
//!
//! Only what rpm writes is read: a hash database (not btree or queue), unencrypted and
//! without page checksums, in either byte order (the file's magic tells which).
//!
//! - Page 0 is the hash meta page: the generic metadata (magic `0x061561`, version 8 to 10,
//!   page size, last page), then the hash's `max_bucket` and `spares` table, which maps a
//!   bucket to its first page: `bucket + spares[ceil(log2(bucket + 1))]`.
//! - A bucket is a chain of hash pages (`next_pgno`). A hash page has a 26-byte header
//!   and an index of item offsets; items come in key/value pairs and each item's length runs
//!   to the previous item's offset (the first item's to the end of the page).
//! - An item is inline (`H_KEYDATA`) or, when large, a 12-byte reference (`H_OFFPAGE`) to a
//!   chain of overflow pages holding `tlen` bytes; each overflow page holds `hf_offset` bytes.
//! - rpm's keys are 4-byte record numbers in the file's byte order; values are header blobs.
//!   Record 0 holds rpm's next record number, not a package, and is skipped.
//!
//! Walking buckets instead of every page in the file ignores pages on the free list, which
//! keep the items of deleted packages. Every page is visited at most once, which bounds the
//! work and the memory (the values assembled never exceed the file's size) and stops loops.

const HASH_MAGIC: u32 = 0x0006_1561;
const META_SIZE: usize = 512;
const PAGE_HEADER: usize = 26;
const NCACHED: usize = 32;

const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASHMETA: u8 = 8;
const P_HASH: u8 = 13;

const H_KEYDATA: u8 = 1;
const H_OFFPAGE: u8 = 3;

/// Why a Berkeley DB file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Error {
    #[error("file of {len} bytes is shorter than a Berkeley DB meta page")]
    TooShort { len: usize },
    #[error("wrong magic `{found:#x}` (expected a Berkeley DB hash, `0x61561`)")]
    Magic { found: u32 },
    #[error("unsupported Berkeley DB hash version `{version}`")]
    Version { version: u32 },
    #[error("meta page has type `{ty}` (expected hash meta, 8)")]
    MetaType { ty: u8 },
    #[error("invalid page size `{size}`")]
    PageSize { size: u32 },
    #[error("encrypted or checksummed databases are not supported")]
    Unsupported,
    #[error("file is {len} bytes, not a whole number of {page_size}-byte pages up to page {last}")]
    Truncated {
        len: usize,
        page_size: usize,
        last: u32,
    },
    #[error("meta page claims `{max_bucket}` buckets for {pages} pages")]
    Buckets { max_bucket: u32, pages: usize },
    #[error("page {pgno}: {reason}")]
    Page { pgno: u32, reason: String },
}

#[derive(Clone, Copy)]
struct Order {
    little: bool,
}

impl Order {
    fn u32(self, b: &[u8], at: usize) -> u32 {
        let mut w = [0u8; 4];
        if let Some(s) = b.get(at..at + 4) {
            w.copy_from_slice(s);
        }
        if self.little {
            u32::from_le_bytes(w)
        } else {
            u32::from_be_bytes(w)
        }
    }

    fn u16(self, b: &[u8], at: usize) -> u16 {
        let mut w = [0u8; 2];
        if let Some(s) = b.get(at..at + 2) {
            w.copy_from_slice(s);
        }
        if self.little {
            u16::from_le_bytes(w)
        } else {
            u16::from_be_bytes(w)
        }
    }
}

struct Db<'a> {
    file: &'a [u8],
    order: Order,
    page_size: usize,
    /// Pages already read, as a hash or overflow page.
    seen: Vec<bool>,
}

fn page_err(pgno: u32, reason: impl Into<String>) -> Error {
    Error::Page {
        pgno,
        reason: reason.into(),
    }
}

impl<'a> Db<'a> {
    fn pages(&self) -> usize {
        self.file.len() / self.page_size
    }

    /// A page not read before, of one of the `types`.
    fn page(&mut self, pgno: u32, types: &[u8]) -> Result<&'a [u8], Error> {
        let i = pgno as usize;
        if pgno == 0 || i >= self.pages() {
            return Err(page_err(pgno, "page number out of range"));
        }
        if std::mem::replace(&mut self.seen[i], true) {
            return Err(page_err(
                pgno,
                "page reached twice (a loop or a shared page)",
            ));
        }
        let page = &self.file[i * self.page_size..(i + 1) * self.page_size];
        let ty = page[25];
        if !types.contains(&ty) {
            return Err(page_err(pgno, format!("unexpected page type `{ty}`")));
        }
        Ok(page)
    }

    /// The bytes of the item at index `i` of a hash page.
    fn item(&self, pgno: u32, page: &'a [u8], i: usize) -> Result<&'a [u8], Error> {
        let start = usize::from(self.order.u16(page, PAGE_HEADER + 2 * i));
        let end = match i {
            0 => self.page_size,
            _ => usize::from(self.order.u16(page, PAGE_HEADER + 2 * (i - 1))),
        };
        let entries = usize::from(self.order.u16(page, 20));
        if start < PAGE_HEADER + 2 * entries || start >= end || end > self.page_size {
            return Err(page_err(
                pgno,
                format!("item {i} has bad offsets `{start}..{end}`"),
            ));
        }
        Ok(&page[start..end])
    }

    /// The value of an item: inline, or assembled from its overflow pages.
    fn value(&mut self, pgno: u32, item: &'a [u8]) -> Result<Vec<u8>, Error> {
        match item.first() {
            Some(&H_KEYDATA) => Ok(item[1..].to_vec()),
            Some(&H_OFFPAGE) if item.len() >= 12 => {
                let first = self.order.u32(item, 4);
                let tlen = self.order.u32(item, 8) as usize;
                // Values come from distinct pages, so none can be larger than the file; and
                // none larger than a header blob may be (checked before allocating).
                if tlen > self.file.len() || tlen > super::header::MAX_BLOB {
                    return Err(page_err(
                        pgno,
                        format!("overflow item claims `{tlen}` bytes"),
                    ));
                }
                let mut out = Vec::with_capacity(tlen);
                let mut next = first;
                while out.len() < tlen {
                    if next == 0 {
                        return Err(page_err(
                            pgno,
                            format!(
                                "overflow chain from page {first} ends after {} of {tlen} bytes",
                                out.len()
                            ),
                        ));
                    }
                    let page = self.page(next, &[P_OVERFLOW])?;
                    let len = usize::from(self.order.u16(page, 22));
                    let Some(data) = page.get(PAGE_HEADER..PAGE_HEADER + len) else {
                        return Err(page_err(next, format!("overflow length `{len}` too large")));
                    };
                    if out.len() + len > tlen {
                        return Err(page_err(
                            next,
                            format!(
                                "overflow chain from page {first} holds more than {tlen} bytes"
                            ),
                        ));
                    }
                    out.extend_from_slice(data);
                    next = self.order.u32(page, 16);
                }
                Ok(out)
            }
            Some(&ty) => Err(page_err(pgno, format!("unsupported item type `{ty}`"))),
            None => Err(page_err(pgno, "empty item")),
        }
    }
}

/// `ceil(log2(n))`, Berkeley DB's `__db_log2`.
fn log2_ceil(n: u64) -> usize {
    let mut bits = 0;
    while (1u64 << bits) < n {
        bits += 1;
    }
    bits
}

/// The blobs of `file`, kept (for tests).
#[cfg(test)]
pub(crate) fn blobs(file: &[u8]) -> Result<Vec<(u32, Vec<u8>)>, Error> {
    let mut out = super::collect(|visit| walk(file, visit))?;
    out.sort_by_key(|(record, _)| *record);
    Ok(out)
}

/// Walks the header blobs of a Berkeley DB hash `Packages` file, with their record numbers;
/// `visit` returns `false` to stop.
pub(crate) fn walk(file: &[u8], visit: &mut dyn FnMut(u32, &[u8]) -> bool) -> Result<(), Error> {
    if file.len() < META_SIZE {
        return Err(Error::TooShort { len: file.len() });
    }
    let order = match (
        Order { little: true }.u32(file, 12),
        Order { little: false }.u32(file, 12),
    ) {
        (HASH_MAGIC, _) => Order { little: true },
        (_, HASH_MAGIC) => Order { little: false },
        (found, _) => return Err(Error::Magic { found }),
    };
    let version = order.u32(file, 16);
    if !(8..=10).contains(&version) {
        return Err(Error::Version { version });
    }
    let size = order.u32(file, 20);
    if !(512..=65536).contains(&size) || !size.is_power_of_two() {
        return Err(Error::PageSize { size });
    }
    let page_size = size as usize;
    if file[24] != 0 || file[26] & 1 != 0 {
        return Err(Error::Unsupported);
    }
    if file[25] != P_HASHMETA {
        return Err(Error::MetaType { ty: file[25] });
    }
    let last = order.u32(file, 32);
    let needed = (u64::from(last) + 1) * page_size as u64;
    if !file.len().is_multiple_of(page_size) || needed > file.len() as u64 {
        return Err(Error::Truncated {
            len: file.len(),
            page_size,
            last,
        });
    }
    let mut db = Db {
        file,
        order,
        page_size,
        seen: vec![false; file.len() / page_size],
    };
    let max_bucket = order.u32(file, 72);
    if max_bucket as usize >= db.pages() {
        return Err(Error::Buckets {
            max_bucket,
            pages: db.pages(),
        });
    }
    for bucket in 0..=u64::from(max_bucket) {
        let spare = order.u32(file, 96 + 4 * log2_ceil(bucket + 1).min(NCACHED - 1));
        let first = bucket + u64::from(spare);
        let Ok(mut pgno) = u32::try_from(first) else {
            return Err(page_err(
                u32::MAX,
                format!("bucket {bucket} maps past page 2^32"),
            ));
        };
        while pgno != 0 {
            let page = db.page(pgno, &[P_HASH, P_HASH_UNSORTED])?;
            let entries = usize::from(order.u16(page, 20));
            if entries % 2 != 0 || PAGE_HEADER + 2 * entries > page_size {
                return Err(page_err(pgno, format!("bad item count `{entries}`")));
            }
            for pair in 0..entries / 2 {
                let key = db.item(pgno, page, 2 * pair)?;
                let value = db.item(pgno, page, 2 * pair + 1)?;
                let record = match key {
                    [H_KEYDATA, k @ ..] if k.len() == 4 => order.u32(k, 0),
                    _ => return Err(page_err(pgno, format!("key {pair} is not a record number"))),
                };
                if record == 0 {
                    continue;
                }
                if !visit(record, &db.value(pgno, value)?) {
                    return Ok(());
                }
            }
            pgno = order.u32(page, 16);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn real() -> Vec<u8> {
        std::fs::read(super::super::tests::shared("rpmdb/bdb-libuuid/Packages"))
            .expect("shared data")
    }

    #[test]
    fn log2() {
        let got: Vec<usize> = [1, 2, 3, 4, 5, 8, 9].map(log2_ceil).to_vec();
        assert_eq!(got, vec![0, 1, 2, 2, 3, 3, 4]);
    }

    #[test]
    fn real_file() {
        let blobs = blobs(&real()).expect("valid bdb");
        assert_eq!(blobs.len(), 1);
        assert_eq!(blobs[0].0, 1);
        assert_eq!(blobs[0].1.len(), 80880);
    }

    #[test]
    fn wrong_magic() {
        let mut file = real();
        file[12] = 0x62;
        let err = blobs(&file).expect_err("magic");
        assert_eq!(
            err.to_string(),
            "wrong magic `0x61562` (expected a Berkeley DB hash, `0x61561`)"
        );
    }

    #[test]
    fn truncated() {
        let file = real();
        for len in [
            0,
            100,
            4096,
            8192,
            4096 * 5,
            file.len() - 4096,
            file.len() - 1,
        ] {
            let err = blobs(&file[..len]).expect_err("truncated");
            assert!(!err.to_string().is_empty());
        }
    }

    #[test]
    fn overflow_loop_and_absurd_length() {
        // The value's overflow item is on page 2, 12 bytes at offset 4079: point its chain's
        // last page (22) back at page 3.
        let mut file = real();
        let p22 = 22 * 4096;
        file[p22 + 16..p22 + 20].copy_from_slice(&3u32.to_le_bytes());
        file[p22 + 22..p22 + 24].copy_from_slice(&4070u16.to_le_bytes());
        let item = 2 * 4096 + 4079;
        file[item + 8..item + 12].copy_from_slice(&90_000u32.to_le_bytes());
        let err = blobs(&file).expect_err("loop");
        assert!(err.to_string().contains("reached twice"), "{err}");

        let mut file = real();
        file[item + 8..item + 12].copy_from_slice(&u32::MAX.to_le_bytes());
        let err = blobs(&file).expect_err("absurd length");
        assert!(
            err.to_string().contains("claims `4294967295` bytes"),
            "{err}"
        );

        let mut file = real();
        file[72..76].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(blobs(&file), Err(Error::Buckets { .. })));
    }
}
