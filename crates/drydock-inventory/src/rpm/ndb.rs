//! rpm's NDB backend (`Packages.db`, SUSE and rpm ≥ 4.16 built with `--enable-ndb`).
//!
//! The layout, all integers little-endian:
//!
//! - A 32-byte file header: magic `RpmP`, format version (0), generation, the number of
//!   4096-byte slot pages, the next package index.
//! - Slots of 16 bytes fill the slot pages after the header: magic `Slot`, package index (0
//!   for a free slot), block offset and block count of the package's blob, in 16-byte blocks.
//! - Each blob: a 16-byte head (magic `BlbS`, package index, generation, length), the header
//!   blob, padding, and a 12-byte tail (Adler-32 of everything before the tail, length,
//!   magic `BlbE`). The checksum catches damage anywhere in a blob, header included.

/// `'R' | 'p' << 8 | 'm' << 16 | 'P' << 24`, and friends.
const DB_MAGIC: &[u8; 4] = b"RpmP";
const SLOT_MAGIC: &[u8; 4] = b"Slot";
const HEAD_MAGIC: &[u8; 4] = b"BlbS";
const TAIL_MAGIC: &[u8; 4] = b"BlbE";
const DB_HEADER_SIZE: usize = 32;
const SLOT_SIZE: usize = 16;
const SLOT_PAGE_SIZE: u64 = 4096;
const BLOCK_SIZE: u64 = 16;
const HEAD_SIZE: usize = 16;
const TAIL_SIZE: usize = 12;

/// Why an NDB file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Error {
    #[error("file of {len} bytes is shorter than the {DB_HEADER_SIZE}-byte NDB header")]
    TooShort { len: usize },
    #[error("wrong magic `{found}` (expected `RpmP`)")]
    Magic { found: String },
    #[error("unsupported NDB version `{version}`")]
    Version { version: u32 },
    #[error("header claims {pages} slot pages but the file has {len} bytes")]
    SlotPages { pages: u32, len: usize },
    #[error("slot {slot} has wrong magic `{found}`")]
    SlotMagic { slot: usize, found: String },
    #[error("slot {slot} (package {pkgidx}) points at blocks {blkoff}+{blkcnt}, outside the file")]
    BlobRange {
        slot: usize,
        pkgidx: u32,
        blkoff: u32,
        blkcnt: u32,
    },
    #[error("blob of package {pkgidx}: {reason}")]
    Blob { pkgidx: u32, reason: String },
}

fn le32(b: &[u8], at: usize) -> u32 {
    let mut w = [0u8; 4];
    if let Some(s) = b.get(at..at + 4) {
        w.copy_from_slice(s);
    }
    u32::from_le_bytes(w)
}

fn show_magic(b: &[u8]) -> String {
    b.iter()
        .take(4)
        .flat_map(|c| std::ascii::escape_default(*c))
        .map(char::from)
        .collect()
}

fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65521;
    let (mut a, mut b) = (1u32, 0u32);
    // 5552 bytes is the most that can be summed before `b` may overflow a u32.
    for chunk in data.chunks(5552) {
        for &c in chunk {
            a += u32::from(c);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

/// The blobs of `file`, kept (for tests).
#[cfg(test)]
pub(crate) fn blobs(file: &[u8]) -> Result<Vec<(u32, Vec<u8>)>, Error> {
    super::collect(|visit| walk(file, visit))
}

/// Walks the header blobs of an NDB file, in slot order, each with its package index;
/// `visit` returns `false` to stop.
pub(crate) fn walk(file: &[u8], visit: &mut dyn FnMut(u32, &[u8]) -> bool) -> Result<(), Error> {
    if file.len() < DB_HEADER_SIZE {
        return Err(Error::TooShort { len: file.len() });
    }
    if &file[..4] != DB_MAGIC {
        return Err(Error::Magic {
            found: show_magic(file),
        });
    }
    let version = le32(file, 4);
    if version != 0 {
        return Err(Error::Version { version });
    }
    let pages = le32(file, 12);
    let slots_end = u64::from(pages) * SLOT_PAGE_SIZE;
    if pages == 0 || slots_end > file.len() as u64 {
        return Err(Error::SlotPages {
            pages,
            len: file.len(),
        });
    }
    // In range: checked against the file length just above.
    let slot_area = &file[DB_HEADER_SIZE..slots_end as usize];
    for (i, slot) in slot_area.chunks_exact(SLOT_SIZE).enumerate() {
        let n = i + DB_HEADER_SIZE / SLOT_SIZE;
        if &slot[..4] != SLOT_MAGIC {
            return Err(Error::SlotMagic {
                slot: n,
                found: show_magic(slot),
            });
        }
        let pkgidx = le32(slot, 4);
        if pkgidx == 0 {
            continue;
        }
        let (blkoff, blkcnt) = (le32(slot, 8), le32(slot, 12));
        let start = u64::from(blkoff) * BLOCK_SIZE;
        let end = start + u64::from(blkcnt) * BLOCK_SIZE;
        if start < slots_end || end > file.len() as u64 {
            return Err(Error::BlobRange {
                slot: n,
                pkgidx,
                blkoff,
                blkcnt,
            });
        }
        let blob = blob(&file[start as usize..end as usize], pkgidx)
            .map_err(|reason| Error::Blob { pkgidx, reason })?;
        if !visit(pkgidx, blob) {
            return Ok(());
        }
    }
    Ok(())
}

/// Checks one blob's head, tail and checksum and returns the header blob inside.
fn blob(area: &[u8], pkgidx: u32) -> Result<&[u8], String> {
    if area.len() < HEAD_SIZE + TAIL_SIZE {
        return Err(format!("{} bytes is too small for a blob", area.len()));
    }
    if &area[..4] != HEAD_MAGIC {
        return Err(format!(
            "wrong head magic `{}` (expected `BlbS`)",
            show_magic(area)
        ));
    }
    let head_idx = le32(area, 4);
    if head_idx != pkgidx {
        return Err(format!("head names package `{head_idx}`"));
    }
    let len = le32(area, 12);
    let tail_at = area.len() - TAIL_SIZE;
    let tail = &area[tail_at..];
    if &tail[8..] != TAIL_MAGIC {
        return Err(format!(
            "wrong tail magic `{}` (expected `BlbE`)",
            show_magic(&tail[8..])
        ));
    }
    if le32(tail, 4) != len {
        return Err(format!(
            "head says {len} bytes, tail says {}",
            le32(tail, 4)
        ));
    }
    if u64::from(len) > (tail_at - HEAD_SIZE) as u64 {
        return Err(format!(
            "length `{len}` exceeds its {} blocks",
            area.len() / 16
        ));
    }
    let sum = adler32(&area[..tail_at]);
    if sum != le32(tail, 0) {
        return Err(format!(
            "checksum mismatch (stored `{:08x}`, computed `{sum:08x}`)",
            le32(tail, 0)
        ));
    }
    Ok(&area[HEAD_SIZE..HEAD_SIZE + len as usize])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn real() -> Vec<u8> {
        std::fs::read(super::super::tests::shared(
            "rpmdb/ndb-sle15-bci/Packages.db",
        ))
        .expect("shared data")
    }

    #[test]
    fn adler32_known_value() {
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
        assert_eq!(adler32(&[0xff; 100_000]), {
            let (mut a, mut b) = (1u64, 0u64);
            for _ in 0..100_000 {
                a = (a + 0xff) % 65521;
                b = (b + a) % 65521;
            }
            ((b << 16) | a) as u32
        });
    }

    #[test]
    fn real_file_has_35_blobs() {
        let file = real();
        let blobs = blobs(&file).expect("valid ndb");
        assert_eq!(blobs.len(), 35);
    }

    #[test]
    fn wrong_magic() {
        let mut file = real();
        file[0] = b'X';
        let err = blobs(&file).expect_err("bad magic");
        assert_eq!(err.to_string(), "wrong magic `XpmP` (expected `RpmP`)");
    }

    #[test]
    fn truncated() {
        let file = real();
        for len in [0, 20, 4095, 5000, file.len() / 2, file.len() - 1] {
            assert!(blobs(&file[..len]).is_err(), "truncated to {len}");
        }
    }

    #[test]
    fn flipped_byte_in_header_blob() {
        let mut file = real();
        // Inside the first blob's header data (blob at block 256, head is 16 bytes).
        file[4096 + 16 + 2000] ^= 0x20;
        let err = blobs(&file).expect_err("checksum");
        assert!(err.to_string().contains("checksum mismatch"), "{err}");
    }

    #[test]
    fn absurd_slot() {
        let mut file = real();
        // First slot: block offset past the end of the file.
        file[32 + 8..32 + 12].copy_from_slice(&u32::MAX.to_le_bytes());
        let err = blobs(&file).expect_err("range");
        assert!(matches!(err, Error::BlobRange { slot: 2, .. }), "{err}");
        let mut file = real();
        file[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(blobs(&file), Err(Error::SlotPages { .. })));
    }
}
