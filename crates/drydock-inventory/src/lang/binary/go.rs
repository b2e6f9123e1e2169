//! Go build info: the Go version and the module list `go build` writes into every binary
//! (since Go 1.13; what `go version -m` prints).
//!
//! The build info starts with a 32-byte header, 16-byte aligned:
//! `"\xff Go buildinf:"` (14 bytes), the pointer size (1 byte), flags (1 byte; bit 0: big
//! endian, bit 1: the strings follow inline). Go 1.18+ writes the two strings inline after the
//! header, each as a uvarint length and bytes. Older Go writes two pointers to Go string
//! headers (data pointer, length), which are read through the binary's segments.
//!
//! The header is in the `.go.buildinfo` section (ELF; `__go_buildinfo` in Mach-O; at the start
//! of `.data` in PE). Stripped
//! or repacked binaries may have no section table: then the file is scanned for the magic at
//! 16-byte aligned offsets (loadable segments keep file offsets congruent to addresses).
//!
//! The second string (the module info, between two 16-byte sentinels) holds lines:
//! `path\tMAIN_PACKAGE`, `mod\tPATH\tVERSION\tSUM`, `dep\tPATH\tVERSION\tSUM`,
//! `=>\tPATH\tVERSION\tSUM` (replaces the line above it), `build\tKEY=VALUE`.

use drydock_package::{Ecosystem, LinkedSymbols, Package};
use object::{Object, ObjectSection, ObjectSegment};

use crate::AnalyzeError;

const MAGIC: &[u8] = b"\xff Go buildinf:";
const HEADER_LEN: usize = 32;
/// No real version or module list comes near this; a larger length is corruption.
const MAX_STRING: u64 = 16 << 20;

/// A Go binary's packages, and a warning when its function table cannot be read.
pub(super) type GoPackages = (Vec<Package>, Option<String>);

/// The Go packages of a binary with the code it links from each ([`link`]), and a warning
/// when its function table cannot be read; `None` when it is not a Go binary.
pub(super) fn read(
    file: Option<&object::File<'_>>,
    content: &[u8],
) -> Result<Option<GoPackages>, AnalyzeError> {
    let Some(blob) = find(file, content) else {
        return Ok(None);
    };
    let (version, modinfo) = strings(file, blob)?;
    let mut packages = packages(&version, &modinfo);
    let warning = link(&mut packages, &modinfo, content);
    Ok(Some((packages, warning)))
}

/// Records on each package the functions the binary links from it ([`drydock_gosym`]), by
/// the import paths of its module (a replaced module's code keeps the original module's
/// import paths), and the binary's `GOOS`/`GOARCH` (its build settings, else its object
/// header) for platform-restricted advisories. A table that cannot be read marks every package unreadable (reachability
/// unknown, never "not linked") and is returned as a warning.
fn link(packages: &mut [Package], modinfo: &str, content: &[u8]) -> Option<String> {
    let table = drydock_gosym::read(content)
        .map(|t| t.symbols())
        .map_err(|e| {
            format!("Go function table: {e}; whether Go findings' code is linked is unknown")
        });
    let mut original: std::collections::BTreeMap<&str, &str> = Default::default();
    let mut last_dep = "";
    // The build settings name the platform (Go 1.18+); else the object header may.
    let header = drydock_gosym::platform(content);
    let (mut goos, mut goarch) = (
        header.goos.map(str::to_string),
        header.goarch.map(str::to_string),
    );
    for line in strip_sentinels(modinfo).lines() {
        let mut f = line.split('\t');
        match (f.next(), f.next()) {
            (Some("dep" | "mod"), Some(path)) => last_dep = path,
            (Some("=>"), Some(path)) => {
                original.insert(path, last_dep);
            }
            (Some("build"), Some(setting)) => match setting.split_once('=') {
                Some(("GOOS", v)) if !v.is_empty() => goos = Some(v.to_string()),
                Some(("GOARCH", v)) if !v.is_empty() => goarch = Some(v.to_string()),
                _ => {}
            },
            _ => {}
        }
    }
    let module = |p: &Package| {
        original
            .get(p.name.as_str())
            .copied()
            .unwrap_or(&p.name)
            .to_string()
    };
    let modules: Vec<String> = packages.iter().map(module).collect();
    for (p, m) in packages.iter_mut().zip(&modules) {
        p.linked = Some(match &table {
            Ok(s) => LinkedSymbols {
                packages: s.of_module(m, modules.iter().map(String::as_str)),
                unreadable: None,
                goos: goos.clone(),
                goarch: goarch.clone(),
            },
            Err(w) => LinkedSymbols {
                packages: Default::default(),
                unreadable: Some(w.clone()),
                goos: goos.clone(),
                goarch: goarch.clone(),
            },
        });
    }
    table.err()
}

/// The bytes from the build info header to the end of its section (or of the file).
fn find<'a>(file: Option<&object::File<'a>>, content: &'a [u8]) -> Option<&'a [u8]> {
    if let Some(f) = file {
        // ELF, Mach-O, then PE (where the build info opens `.data`).
        for name in [".go.buildinfo", "__go_buildinfo", ".data"] {
            if let Some(data) = f.section_by_name(name).and_then(|s| s.data().ok())
                && data.starts_with(MAGIC)
            {
                return Some(data);
            }
        }
    }
    // A binary with a section table and none of those sections is not Go: only binaries
    // without one (or that `object` cannot parse) are scanned.
    if file.is_some_and(|f| f.sections().next().is_some()) {
        return None;
    }
    let at = content
        .chunks_exact(16)
        .position(|c| c.starts_with(MAGIC))?;
    content.get(at * 16..)
}

fn strings(file: Option<&object::File<'_>>, blob: &[u8]) -> Result<(String, String), AnalyzeError> {
    let header = blob
        .get(..HEADER_LEN)
        .ok_or_else(|| AnalyzeError::malformed("Go build info header is truncated"))?;
    let ptr_size = usize::from(header[14]);
    let flags = header[15];
    if flags & 2 != 0 {
        let mut rest = &blob[HEADER_LEN..];
        let version = inline_string(&mut rest)?;
        let modinfo = inline_string(&mut rest)?;
        return Ok((version, modinfo));
    }
    if ptr_size != 4 && ptr_size != 8 {
        return Err(AnalyzeError::malformed(format!(
            "Go build info pointer size is {ptr_size}"
        )));
    }
    let Some(file) = file else {
        return Err(AnalyzeError::malformed(
            "pre-1.18 Go build info in a binary without readable segments",
        ));
    };
    let big_endian = flags & 1 != 0;
    let version_ptr = uint(&blob[16..16 + ptr_size], big_endian);
    let modinfo_ptr = uint(&blob[16 + ptr_size..16 + 2 * ptr_size], big_endian);
    let read = |ptr| pointed_string(file, ptr, ptr_size, big_endian);
    Ok((read(version_ptr)?, read(modinfo_ptr)?))
}

fn uint(bytes: &[u8], big_endian: bool) -> u64 {
    let fold = |acc: u64, b: &u8| (acc << 8) | u64::from(*b);
    if big_endian {
        bytes.iter().fold(0, fold)
    } else {
        bytes.iter().rev().fold(0, fold)
    }
}

fn inline_string(rest: &mut &[u8]) -> Result<String, AnalyzeError> {
    let mut len: u64 = 0;
    let mut shift = 0;
    loop {
        let (&b, tail) = rest
            .split_first()
            .ok_or_else(|| AnalyzeError::malformed("Go build info string is truncated"))?;
        *rest = tail;
        len |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 63 {
            return Err(AnalyzeError::malformed("Go build info length overflows"));
        }
    }
    let s = usize::try_from(len)
        .ok()
        .filter(|&l| (l as u64) <= MAX_STRING)
        .and_then(|l| rest.get(..l))
        .ok_or_else(|| {
            AnalyzeError::malformed(format!("Go build info string of {len} bytes is truncated"))
        })?;
    *rest = &rest[s.len()..];
    Ok(String::from_utf8_lossy(s).into_owned())
}

/// Reads a Go string header (data pointer, length) at `ptr`, then the data.
fn pointed_string(
    file: &object::File<'_>,
    ptr: u64,
    ptr_size: usize,
    big_endian: bool,
) -> Result<String, AnalyzeError> {
    let header = at_address(file, ptr, 2 * ptr_size as u64)?;
    let data = uint(&header[..ptr_size], big_endian);
    let len = uint(&header[ptr_size..], big_endian);
    if len > MAX_STRING {
        return Err(AnalyzeError::malformed(format!(
            "Go build info string of {len} bytes"
        )));
    }
    let bytes = at_address(file, data, len)?;
    Ok(String::from_utf8_lossy(bytes).into_owned())
}

fn at_address<'a>(
    file: &object::File<'a>,
    address: u64,
    size: u64,
) -> Result<&'a [u8], AnalyzeError> {
    file.segments()
        .find_map(|s| s.data_range(address, size).ok().flatten())
        .ok_or_else(|| {
            AnalyzeError::malformed(format!(
                "Go build info points to {address:#x}, outside the binary's segments"
            ))
        })
}

/// `stdlib` (from the Go version), the main module when the build stamped a version, and
/// every dependency (its replacement when it has one).
///
/// `stdlib`'s version is the Go release without `go` (`go1.19.8` → `1.19.8`), as in Go's
/// vulnerability database; module versions keep their `v`. A main module whose version is
/// `(devel)` (no VCS stamp) has no version to match and is left out; so is a dependency
/// replaced by a local directory (no version: the code is not the module's).
pub(super) fn packages(go_version: &str, modinfo: &str) -> Vec<Package> {
    let mut out = Vec::new();
    let release = go_version.split_whitespace().next().unwrap_or("");
    if let Some(v) = release.strip_prefix("go")
        && !v.is_empty()
    {
        out.push(Package::new(Ecosystem::Golang, "stdlib", v));
    }
    let modinfo = strip_sentinels(modinfo);
    let mut last_dep: Option<usize> = None;
    for line in modinfo.lines() {
        let mut fields = line.split('\t');
        let kind = fields.next().unwrap_or("");
        let path = fields.next().unwrap_or("");
        let version = fields.next().unwrap_or("");
        match kind {
            "mod" => {
                last_dep = None;
                if !path.is_empty() && !version.is_empty() && version != "(devel)" {
                    out.push(Package::new(Ecosystem::Golang, path, version));
                    last_dep = Some(out.len() - 1);
                }
            }
            "dep" if !path.is_empty() => {
                out.push(Package::new(Ecosystem::Golang, path, version));
                last_dep = Some(out.len() - 1);
            }
            "=>" => {
                if let Some(i) = last_dep.take() {
                    if version.is_empty() {
                        out.remove(i);
                    } else {
                        out[i] = Package::new(Ecosystem::Golang, path, version);
                    }
                }
            }
            _ => last_dep = None,
        }
    }
    out.retain(|p| !p.version.is_empty());
    out
}

/// Go 1.18+ wraps the module info in 16-byte sentinels; older Go did too in the binary
/// (`runtime/debug` strips them the same way).
fn strip_sentinels(s: &str) -> &str {
    let b = s.as_bytes();
    if b.len() >= 33 && b[b.len() - 17] == b'\n' {
        s.get(16..b.len() - 16).unwrap_or(s)
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inline_blob(version: &str, modinfo: &str) -> Vec<u8> {
        let mut b = MAGIC.to_vec();
        b.extend([8, 2]);
        b.resize(HEADER_LEN, 0);
        for s in [version, modinfo] {
            let mut len = s.len();
            loop {
                let byte = (len & 0x7f) as u8;
                len >>= 7;
                if len == 0 {
                    b.push(byte);
                    break;
                }
                b.push(byte | 0x80);
            }
            b.extend(s.as_bytes());
        }
        b
    }

    fn sentinel(body: &str) -> String {
        format!("0123456789abcdef{body}\n0123456789abcdef")
    }

    #[test]
    fn modules_and_replacements() {
        let m = sentinel(
            "path\texample.com/app\nmod\texample.com/app\tv1.2.0\th1:x\ndep\tgolang.org/x/text\tv0.3.7\th1:y\ndep\tgithub.com/a/b\tv1.0.0\n=>\tgithub.com/fork/b\tv1.0.1\th1:z\ndep\tgithub.com/c/d\tv0.1.0\n=>\t../d\t\nbuild\t-compiler=gc",
        );
        let p = packages("go1.21.3 X:boringcrypto", &m);
        let got: Vec<_> = p
            .iter()
            .map(|p| format!("{}@{}", p.name, p.version))
            .collect();
        assert_eq!(
            got,
            [
                "stdlib@1.21.3",
                "example.com/app@v1.2.0",
                "golang.org/x/text@v0.3.7",
                "github.com/fork/b@v1.0.1",
            ]
        );
    }

    #[test]
    fn found_by_scanning_without_sections() {
        // No object file around it: the aligned scan finds the header.
        let mut content = vec![0u8; 64];
        content.extend(inline_blob(
            "go1.19.8",
            &sentinel("mod\texample.com/hello\t(devel)\t"),
        ));
        let (p, warning) = read(None, &content).expect("reads").expect("is Go");
        // No function table in these bytes: a warning, and reachability unknown.
        assert!(warning.is_some_and(|w| w.contains("function table")));
        assert!(p[0].linked.as_ref().is_some_and(|l| l.unreadable.is_some()));
        assert_eq!(p.len(), 1);
        assert_eq!(
            (p[0].name.as_str(), p[0].version.as_str()),
            ("stdlib", "1.19.8")
        );
        let unaligned = [&[0u8; 3][..], &content].concat();
        assert!(read(None, &unaligned).expect("no error").is_none());
    }

    #[test]
    fn truncated_is_an_error() {
        let blob = inline_blob("go1.19.8", "x");
        assert!(read(None, &blob[..blob.len() - 5]).is_err());
        assert!(read(None, &blob[..20]).is_err());
        let mut huge = blob[..HEADER_LEN].to_vec();
        huge.extend([0xff, 0xff, 0xff, 0xff, 0x0f]);
        assert!(read(None, &huge).is_err());
    }
}
