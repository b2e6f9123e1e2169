//! The pclntab itself: header, function table, function-name table.
//!
//! Layout since Go 1.16 (`runtime/symtab.go`'s `pcHeader`, written by `cmd/link`'s `pcln.go`):
//!
//! ```text
//! magic u32 | 0 u8 | 0 u8 | min instruction size u8 | pointer size u8
//! then pointer-sized words:
//!   Go 1.16–1.17 (magic 0xfffffffa): nfunc, nfiles,            funcname, cu, filetab, pctab, functab
//!   Go 1.18+     (0xfffffff0, 0xfffffff1 from 1.20): nfunc, nfiles, textStart, funcname, cu, filetab, pctab, functab
//! ```
//!
//! The offsets are relative to the header and in that order. The function-name table runs
//! from `funcname` to `cu`: NUL-terminated names of every function with code and of every
//! function inlined into one (the inline trees name their callees by offset into it). The
//! function table at `functab` holds `nfunc + 1` (entry, offset) pairs — pointer-sized words
//! before Go 1.18, `u32` since — and each offset, relative to `functab`, reaches a `_func`
//! whose second field is the `i32` offset of the function's name.

use crate::Error;

/// Go 1.2–1.15: a layout drydock recognizes, to name it, and does not read.
const MAGIC_12: u32 = 0xffff_fffb;
const MAGIC_116: u32 = 0xffff_fffa;
const MAGIC_118: u32 = 0xffff_fff0;
const MAGIC_120: u32 = 0xffff_fff1;

/// More functions than any real binary has (Kubernetes' largest binaries have ~200 k); a
/// header claiming more is corrupt.
const MAX_FUNCS: u64 = 16 << 20;

/// The pclntab layouts drydock reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Layout {
    /// Magic `0xfffffffa`: Go 1.16 and 1.17.
    Go116,
    /// Magic `0xfffffff0`: Go 1.18 and 1.19.
    Go118,
    /// Magic `0xfffffff1`: Go 1.20 and later.
    Go120,
}

impl Layout {
    /// The Go releases that write this layout.
    pub fn go_versions(self) -> &'static str {
        match self {
            Layout::Go116 => "1.16–1.17",
            Layout::Go118 => "1.18–1.19",
            Layout::Go120 => "1.20+",
        }
    }

    fn from_magic(magic: u32) -> Option<Layout> {
        match magic {
            MAGIC_116 => Some(Layout::Go116),
            MAGIC_118 => Some(Layout::Go118),
            MAGIC_120 => Some(Layout::Go120),
            _ => None,
        }
    }
}

/// Whether `data` opens with something shaped like a pclntab header of any Go version
/// (magic, two zero bytes, a plausible instruction size and pointer size): the cheap test
/// the magic scan runs before a full parse.
pub(crate) fn looks_like_header(data: &[u8]) -> bool {
    let Some(h) = data.get(..8) else {
        return false;
    };
    let le = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
    let be = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
    let known = |m| Layout::from_magic(m).is_some() || m == MAGIC_12;
    (known(le) || known(be))
        && h[4] == 0
        && h[5] == 0
        && matches!(h[6], 1 | 2 | 4)
        && matches!(h[7], 4 | 8)
}

/// What [`parse`] reads: borrowed from the binary.
#[derive(Debug, Clone)]
pub(crate) struct Parsed<'a> {
    pub layout: Layout,
    /// The name of each function-table entry, in table order.
    pub functions: Vec<&'a [u8]>,
    /// Every name in the function-name table, in table order.
    pub names: Vec<&'a [u8]>,
}

struct Reader<'a> {
    data: &'a [u8],
    big_endian: bool,
}

impl<'a> Reader<'a> {
    fn bytes(&self, at: u64, len: u64) -> Result<&'a [u8], Error> {
        let end = at.checked_add(len);
        usize::try_from(at)
            .ok()
            .zip(end.and_then(|e| usize::try_from(e).ok()))
            .and_then(|(a, e)| self.data.get(a..e))
            .ok_or_else(|| {
                Error::Corrupt(format!(
                    "{len} bytes at offset {at} are past the table's {} bytes",
                    self.data.len()
                ))
            })
    }

    fn uint(&self, at: u64, size: u64) -> Result<u64, Error> {
        let b = self.bytes(at, size)?;
        let fold = |acc: u64, b: &u8| (acc << 8) | u64::from(*b);
        Ok(if self.big_endian {
            b.iter().fold(0, fold)
        } else {
            b.iter().rev().fold(0, fold)
        })
    }
}

/// Parses a pclntab that starts at `data[0]` (and may be followed by anything).
pub(crate) fn parse(data: &[u8]) -> Result<Parsed<'_>, Error> {
    let head = data
        .get(..8)
        .ok_or_else(|| Error::Corrupt("shorter than its 8-byte header".into()))?;
    let le = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
    let be = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
    let (layout, big_endian) = match (Layout::from_magic(le), Layout::from_magic(be)) {
        (Some(l), _) => (l, false),
        (None, Some(l)) => (l, true),
        (None, None) if le == MAGIC_12 || be == MAGIC_12 => {
            return Err(Error::Unsupported {
                magic: MAGIC_12,
                go: "1.2–1.15",
            });
        }
        (None, None) => return Err(Error::Corrupt(format!("unknown magic `{le:#010x}`"))),
    };
    if head[4] != 0 || head[5] != 0 {
        return Err(Error::Corrupt("header padding is not zero".into()));
    }
    let ptr = u64::from(head[7]);
    if ptr != 4 && ptr != 8 {
        return Err(Error::Corrupt(format!("pointer size {ptr}")));
    }
    let r = Reader { data, big_endian };
    let word = |i: u64| r.uint(8 + i * ptr, ptr);
    let nfunc = word(0)?;
    // Word indexes of the offsets: Go 1.18 added textStart before them.
    let first = match layout {
        Layout::Go116 => 2,
        Layout::Go118 | Layout::Go120 => 3,
    };
    let funcname = word(first)?;
    let cu = word(first + 1)?;
    let filetab = word(first + 2)?;
    let pctab = word(first + 3)?;
    let functab = word(first + 4)?;
    let header_end = 8 + (first + 5) * ptr;
    let ordered = [header_end, funcname, cu, filetab, pctab, functab];
    if ordered.windows(2).any(|w| w[0] > w[1]) || functab > data.len() as u64 {
        return Err(Error::Corrupt(format!(
            "table offsets {ordered:?} are out of order or past the {} bytes",
            data.len()
        )));
    }
    if nfunc > MAX_FUNCS {
        return Err(Error::Corrupt(format!("{nfunc} functions")));
    }
    let nametab = r.bytes(funcname, cu - funcname)?;
    // Function table fields: pointer-sized before Go 1.18, u32 since.
    let field = match layout {
        Layout::Go116 => ptr,
        Layout::Go118 | Layout::Go120 => 4,
    };
    r.bytes(functab, (2 * nfunc + 1) * field)?;
    let mut functions = Vec::with_capacity(usize::try_from(nfunc).unwrap_or(0));
    let mut last_entry = 0;
    for i in 0..nfunc {
        let entry = r.uint(functab + 2 * i * field, field)?;
        if entry < last_entry {
            return Err(Error::Corrupt(format!(
                "function {i} starts before function {}",
                i.saturating_sub(1)
            )));
        }
        last_entry = entry;
        let func = r.uint(functab + (2 * i + 1) * field, field)?;
        // `_func`: the entry (pointer before 1.18, u32 offset since), then the name offset.
        let name_at = functab
            .checked_add(func)
            .and_then(|a| a.checked_add(field))
            .ok_or_else(|| Error::Corrupt(format!("function {i} offset overflows")))?;
        let name_off = r.uint(name_at, 4)?;
        functions.push(cstr(nametab, name_off).ok_or_else(|| {
            Error::Corrupt(format!(
                "function {i} names offset {name_off}, outside the {}-byte name table",
                nametab.len()
            ))
        })?);
    }
    let names = nametab
        .split(|&b| b == 0)
        .filter(|n| !n.is_empty())
        .collect();
    Ok(Parsed {
        layout,
        functions,
        names,
    })
}

/// The NUL-terminated string at `off`.
fn cstr(table: &[u8], off: u64) -> Option<&[u8]> {
    let rest = table.get(usize::try_from(off).ok()?..)?;
    let end = rest.iter().position(|&b| b == 0)?;
    (end > 0).then(|| &rest[..end])
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A pclntab of `layout` with these functions, as `cmd/link` lays it out (little
    /// endian, 8-byte pointers unless `ptr` says otherwise). `inlined` names are in the name
    /// table only.
    pub(crate) fn build(layout: Layout, ptr: u8, funcs: &[&str], inlined: &[&str]) -> Vec<u8> {
        let magic = match layout {
            Layout::Go116 => MAGIC_116,
            Layout::Go118 => MAGIC_118,
            Layout::Go120 => MAGIC_120,
        };
        let words: u64 = if layout == Layout::Go116 { 7 } else { 8 };
        let p = u64::from(ptr);
        let header = 8 + words * p;
        let mut nametab = Vec::new();
        let mut offs = Vec::new();
        for f in funcs.iter().chain(inlined) {
            offs.push(nametab.len() as u64);
            nametab.extend(f.as_bytes());
            nametab.push(0);
        }
        let funcname = header;
        let cu = funcname + nametab.len() as u64;
        let functab = cu + 16; // an empty cu/file/pc table stand-in
        let field: u64 = if layout == Layout::Go116 { p } else { 4 };
        let n = funcs.len() as u64;
        let funcs_at = (2 * n + 1) * field;
        let put = |out: &mut Vec<u8>, v: u64, size: u64| {
            out.extend(&v.to_le_bytes()[..size as usize]);
        };
        let mut out = Vec::new();
        put(&mut out, u64::from(magic), 4);
        out.extend([0, 0, 1, ptr]);
        put(&mut out, n, p);
        put(&mut out, 0, p); // nfiles
        if layout != Layout::Go116 {
            put(&mut out, 0x40_1000, p); // textStart
        }
        for off in [funcname, cu, cu + 8, cu + 12, functab] {
            put(&mut out, off, p);
        }
        out.extend(&nametab);
        out.resize(functab as usize, 0);
        for i in 0..n {
            put(&mut out, 0x100 * i, field);
            put(&mut out, funcs_at + i * (field + 8), field);
        }
        put(&mut out, 0x100 * n, field);
        for (i, off) in offs.iter().take(funcs.len()).enumerate() {
            put(&mut out, 0x100 * i as u64, field);
            put(&mut out, *off, 4);
            put(&mut out, 0, 4);
        }
        out
    }

    fn names(p: &Parsed<'_>) -> (Vec<String>, Vec<String>) {
        let s = |v: &[&[u8]]| {
            v.iter()
                .map(|n| String::from_utf8_lossy(n).into_owned())
                .collect()
        };
        (s(&p.functions), s(&p.names))
    }

    #[test]
    fn every_layout() {
        let funcs = ["runtime.main", "net/http.(*Server).Serve", "main.main"];
        for layout in [Layout::Go116, Layout::Go118, Layout::Go120] {
            for ptr in [4, 8] {
                let t = build(layout, ptr, &funcs, &["net/http.readRequest"]);
                let p = parse(&t).expect("parses");
                assert_eq!(p.layout, layout);
                let (f, n) = names(&p);
                assert_eq!(f, funcs);
                assert_eq!(n.len(), 4, "{n:?}");
                assert_eq!(n[3], "net/http.readRequest");
                assert!(looks_like_header(&t));
            }
        }
    }

    #[test]
    fn go_1_2_is_named_unsupported() {
        let mut t = build(Layout::Go118, 8, &["main.main"], &[]);
        t[..4].copy_from_slice(&MAGIC_12.to_le_bytes());
        assert!(matches!(
            parse(&t),
            Err(Error::Unsupported {
                go: "1.2–1.15", ..
            })
        ));
    }

    #[test]
    fn corrupt_tables_are_errors_not_panics() {
        let t = build(Layout::Go120, 8, &["a.b", "a.c"], &[]);
        for cut in 0..t.len() {
            let _ = parse(&t[..cut]);
        }
        assert!(parse(&t[..t.len() - 5]).is_err(), "truncated _func");
        for i in 8..t.len() {
            let mut bad = t.clone();
            bad[i] ^= 0xff;
            let _ = parse(&bad);
        }
        let mut huge = t.clone();
        huge[8..16].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(matches!(parse(&huge), Err(Error::Corrupt(_))));
    }
}
