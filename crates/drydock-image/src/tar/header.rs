//! One 512-byte tar header block, and PAX extended header records.

/// The entry types a walk tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TypeFlag {
    File,
    Hardlink,
    Symlink,
    Dir,
    /// A GNU long name (`L`) or long link name (`K`) for the next entry.
    LongName,
    LongLink,
    /// A PAX extended header for the next entry (`x`; Solaris' `X` alike).
    Pax,
    /// A PAX global header (`g`): defaults for all later entries, which image builders do not use.
    PaxGlobal,
    /// An old-GNU sparse file (`S`).
    GnuSparse,
    /// Devices, FIFOs, GNU dumpdirs and volume labels, and unknown types.
    Other,
}

#[derive(Debug)]
pub(super) struct Header {
    pub name: Vec<u8>,
    pub link: Vec<u8>,
    pub mode: u32,
    /// Stored data bytes.
    pub size: u64,
    pub flag: TypeFlag,
}

fn field(b: &[u8]) -> &[u8] {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    &b[..end]
}

/// A numeric field: octal text (NUL- or space-terminated), or GNU's base-256 when the top bit
/// of the first byte is set.
pub(super) fn number(b: &[u8]) -> Result<u64, String> {
    if let Some(&first) = b.first()
        && first & 0x80 != 0
    {
        if first == 0xff {
            return Err("negative base-256 number".into());
        }
        let mut n: u64 = u64::from(first & 0x7f);
        for &c in &b[1..] {
            n = n
                .checked_mul(256)
                .and_then(|n| n.checked_add(u64::from(c)))
                .ok_or("base-256 number past 2^64")?;
        }
        return Ok(n);
    }
    let mut n: u64 = 0;
    let mut digits = b.iter().skip_while(|&&c| c == b' ' || c == 0).peekable();
    while let Some(&c) = digits.next() {
        match c {
            b'0'..=b'7' => {
                n = n
                    .checked_mul(8)
                    .and_then(|n| n.checked_add(u64::from(c - b'0')))
                    .ok_or("octal number past 2^64")?
            }
            b' ' | 0 => {
                // Trailing padding only.
                if digits.any(|&c| c != b' ' && c != 0) {
                    return Err(format!("invalid number `{}`", String::from_utf8_lossy(b)));
                }
                break;
            }
            _ => {
                return Err(format!(
                    "invalid number `{}`",
                    String::from_utf8_lossy(b).escape_default()
                ));
            }
        }
    }
    Ok(n)
}

impl Header {
    pub fn parse(b: &[u8; 512]) -> Result<Header, String> {
        let stored = number(&b[148..156]).map_err(|e| format!("checksum: {e}"))?;
        let unsigned: u64 = b
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                if (148..156).contains(&i) {
                    32
                } else {
                    u64::from(c)
                }
            })
            .sum();
        // Some old writers summed signed bytes.
        let signed: i64 = b
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                if (148..156).contains(&i) {
                    32
                } else {
                    i64::from(c as i8)
                }
            })
            .sum();
        if stored != unsigned && i64::try_from(stored).ok() != Some(signed) {
            return Err("checksum mismatch (not a tar header)".into());
        }
        let flag = match b[156] {
            b'0' | 0 | b'7' => TypeFlag::File,
            b'1' => TypeFlag::Hardlink,
            b'2' => TypeFlag::Symlink,
            b'5' => TypeFlag::Dir,
            b'L' => TypeFlag::LongName,
            b'K' => TypeFlag::LongLink,
            b'x' | b'X' => TypeFlag::Pax,
            b'g' => TypeFlag::PaxGlobal,
            b'S' => TypeFlag::GnuSparse,
            _ => TypeFlag::Other,
        };
        let mut name = field(&b[..100]).to_vec();
        // POSIX ustar splits long names into prefix and name; GNU headers use those bytes for
        // other fields.
        if &b[257..263] == b"ustar\0" {
            let prefix = field(&b[345..500]);
            if !prefix.is_empty() {
                let mut full = prefix.to_vec();
                full.push(b'/');
                full.extend_from_slice(&name);
                name = full;
            }
        }
        let mode = number(&b[100..108]).map_err(|e| format!("mode: {e}"))?;
        Ok(Header {
            name,
            link: field(&b[157..257]).to_vec(),
            mode: u32::try_from(mode & 0o7777).unwrap_or(0o644),
            size: number(&b[124..136]).map_err(|e| format!("size: {e}"))?,
            flag,
        })
    }
}

/// What the PAX sparse keys say (`GNU.sparse.*`).
#[derive(Debug, Default, Clone)]
pub(super) struct PaxSparse {
    pub major: Option<u64>,
    pub name: Option<Vec<u8>>,
    pub real_size: Option<u64>,
    /// 0.0: repeated offset/numbytes records, in order; 0.1: the `map` record.
    pub pairs: Vec<u64>,
    pub map: Option<Vec<u8>>,
}

/// The records of a PAX extended header that matter here.
#[derive(Debug, Default)]
pub(super) struct Pax {
    pub path: Option<Vec<u8>>,
    pub link: Option<Vec<u8>>,
    pub size: Option<u64>,
    pub sparse: Option<PaxSparse>,
}

fn decimal(v: &[u8], key: &str) -> Result<u64, String> {
    std::str::from_utf8(v)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("`{key}` is not a number"))
}

impl Pax {
    /// Parses `LEN key=value\n` records.
    pub fn parse(mut data: &[u8]) -> Result<Pax, String> {
        let mut pax = Pax::default();
        while !data.is_empty() {
            if data.iter().all(|&b| b == 0) {
                break;
            }
            let sp = data
                .iter()
                .position(|&b| b == b' ')
                .ok_or("record without a length")?;
            let len: usize = std::str::from_utf8(&data[..sp])
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or("record length is not a number")?;
            if len <= sp + 1 || len > data.len() || data[len - 1] != b'\n' {
                return Err("record length does not match its record".into());
            }
            let record = &data[sp + 1..len - 1];
            data = &data[len..];
            let eq = record
                .iter()
                .position(|&b| b == b'=')
                .ok_or("record without `=`")?;
            let (key, value) = (&record[..eq], &record[eq + 1..]);
            let key = String::from_utf8_lossy(key);
            let sparse = || PaxSparse::default();
            match key.as_ref() {
                "path" => pax.path = Some(value.to_vec()),
                "linkpath" => pax.link = Some(value.to_vec()),
                "size" => pax.size = Some(decimal(value, &key)?),
                "GNU.sparse.major" => {
                    pax.sparse.get_or_insert_with(sparse).major = Some(decimal(value, &key)?)
                }
                "GNU.sparse.name" => {
                    pax.sparse.get_or_insert_with(sparse).name = Some(value.to_vec())
                }
                "GNU.sparse.realsize" | "GNU.sparse.size" => {
                    pax.sparse.get_or_insert_with(sparse).real_size = Some(decimal(value, &key)?)
                }
                "GNU.sparse.offset" | "GNU.sparse.numbytes" => {
                    let s = pax.sparse.get_or_insert_with(sparse);
                    // Offsets and sizes must alternate, offset first.
                    let expect_offset = s.pairs.len().is_multiple_of(2);
                    if expect_offset != (key == "GNU.sparse.offset") {
                        return Err("GNU.sparse.offset and numbytes out of order".into());
                    }
                    s.pairs.push(decimal(value, &key)?);
                }
                "GNU.sparse.map" => {
                    pax.sparse.get_or_insert_with(sparse).map = Some(value.to_vec())
                }
                _ => {}
            }
        }
        Ok(pax)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(number(b"0000644\0"), Ok(0o644));
        assert_eq!(number(b"   644 \0"), Ok(0o644));
        assert_eq!(number(b"\0\0\0\0"), Ok(0));
        assert_eq!(
            number(&[0x80, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]),
            Ok(1 << 32)
        );
        assert!(number(&[0xff; 12]).is_err());
        assert!(number(b"12 34\0").is_err());
        assert!(number(b"9\0").is_err());
        assert!(number(b"7777777777777777777777777").is_err());
    }

    #[test]
    fn pax_records() {
        let pax = Pax::parse(b"30 path=a/very/long/name/here\n11 size=42\n").expect("valid");
        assert_eq!(pax.path.as_deref(), Some(&b"a/very/long/name/here"[..]));
        assert_eq!(pax.size, Some(42));
        assert!(Pax::parse(b"99 path=x\n").is_err());
        assert!(Pax::parse(b"5 a=b\n").is_err());
        assert!(Pax::parse(b"x path=y\n").is_err());
    }
}
