//! Which Go functions a binary contains, read from its pclntab (the function table every Go
//! binary carries for stack traces and the garbage collector, stripped binaries included).
//!
//! This is what lets drydock tell whether the code a Go vulnerability lives in is in a binary
//! at all (the question `govulncheck -mode=binary` answers): the Go vulnerability database
//! names it per advisory as import paths and symbols (`net/http`, `Server.Serve`).
//!
//! - [`read`] finds the pclntab of an ELF, Mach-O or PE file — by section (`.gopclntab`,
//!   `.data.rel.ro.gopclntab`, `__gopclntab`), by the `runtime.pclntab` symbol, or else by
//!   scanning for its header (binaries without section headers) — and returns a [`FuncTable`].
//! - [`FuncTable::symbols`] groups the names by import path as [`Symbols`], each name split
//!   by [`split`] the way the vulnerability database names symbols (`Type.Method` for
//!   pointer and value receivers, type arguments of generic instantiations dropped).
//!
//! Layouts read: Go 1.16–1.17 (magic `0xfffffffa`), 1.18–1.19 (`0xfffffff0`) and 1.20 and
//! later (`0xfffffff1`; Go 1.23 still writes it). Go 1.2–1.15 tables are recognized and
//! refused ([`Error::Unsupported`]): they lack the separate name table that also lists
//! inlined functions, so absence could not be trusted.
//!
//! Inlined functions: a function inlined into all its callers has no function-table entry,
//! but its name is in the name table (the inline trees point to it), so
//! [`FuncTable::names`] — what [`FuncTable::symbols`] uses — includes it.
//!
//! Also here, for the same question about other binaries:
//!
//! - [`platform`]: a binary's `GOOS`/`GOARCH` from its object header, for advisories whose
//!   imports are restricted to some platforms (`goos: [windows]`).
//! - [`read_rust`]: a Rust binary's functions from its symbol table, demangled into the paths
//!   RustSec's `affects.functions` names ([`RustSymbols`], [`rust_function_linked`]).
//!
//! Every read is bounded by the input: offsets are checked, counts capped, nothing is
//! allocated before the bytes it describes are known to exist; bad input is an [`Error`].
//!
//! ```no_run
//! let bytes = std::fs::read("/usr/local/bin/app")?;
//! let table = drydock_gosym::read(&bytes)?;
//! let symbols = table.symbols();
//! println!("net/http linked: {}", symbols.has_package("net/http"));
//! println!("Server.Serve: {}", symbols.has_symbol("net/http", "Server.Serve"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Fuzzing
//!
//! `fuzz/` holds the cargo-fuzz target `read` (arbitrary bytes as a whole binary, and as a
//! bare pclntab). In `fuzz/`: `cargo +nightly fuzz run read -- -runs=N`. Last run: see
//! `fuzz/README.md`.

mod name;
mod pclntab;
mod platform;
mod rustsym;

use std::collections::{BTreeMap, BTreeSet};

use object::{Object, ObjectSection, ObjectSymbol};

pub use name::split;
pub use pclntab::Layout;
pub use platform::{Platform, platform};
pub use rustsym::{RustSymbols, paths as rust_paths, read_rust, rust_function_linked};

/// Why a binary's function table could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No pclntab anywhere in the file.
    #[error("no Go function table (pclntab) found")]
    NotFound,
    /// A pclntab of a Go release whose layout drydock does not read.
    #[error(
        "the function table is Go {go}'s layout (magic `{magic:#010x}`), which drydock does not read"
    )]
    Unsupported { magic: u32, go: &'static str },
    /// The table is damaged or truncated.
    #[error("the function table is corrupt: {0}")]
    Corrupt(String),
    /// No Rust function symbols: the symbol table was stripped (or the binary is not Rust).
    #[error("no Rust function symbols (stripped symbol table)")]
    NoSymbols,
}

/// The function names of one binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuncTable {
    pub layout: Layout,
    /// Functions with code of their own, in address order (`net/http.(*Server).Serve`): what
    /// `go tool nm` lists as text symbols of a binary that still has its symbol table.
    pub functions: Vec<String>,
    /// Every name of the name table: the functions and those inlined into them, sorted.
    pub names: BTreeSet<String>,
}

/// Linked code by import path, symbols named as Go's vulnerability database names them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Symbols {
    pub packages: BTreeMap<String, BTreeSet<String>>,
}

impl FuncTable {
    /// The names grouped by import path ([`split`]); linker-made names are left out.
    pub fn symbols(&self) -> Symbols {
        let mut packages: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for n in &self.names {
            if let Some((path, sym)) = split(n) {
                packages.entry(path).or_default().insert(sym);
            }
        }
        Symbols { packages }
    }
}

impl Symbols {
    pub fn has_package(&self, path: &str) -> bool {
        self.packages.contains_key(path)
    }

    pub fn has_symbol(&self, path: &str, symbol: &str) -> bool {
        self.packages.get(path).is_some_and(|s| s.contains(symbol))
    }

    /// The import paths that belong to `module` (`stdlib` for the standard library) given
    /// all module paths of the binary: each import path goes to the longest module path it
    /// is in; paths in no module whose first element has no dot are the standard library's
    /// (its vendored `vendor/golang.org/x/…` copies included).
    pub fn of_module<'m>(
        &self,
        module: &str,
        modules: impl IntoIterator<Item = &'m str> + Clone,
    ) -> BTreeMap<String, BTreeSet<String>> {
        self.packages
            .iter()
            .filter(|(path, _)| owner(path, modules.clone()) == Some(module))
            .map(|(p, s)| (p.clone(), s.clone()))
            .collect()
    }
}

fn owner<'m>(path: &str, modules: impl IntoIterator<Item = &'m str>) -> Option<&'m str> {
    let within = |m: &str| {
        path.strip_prefix(m)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    let best = modules
        .into_iter()
        .filter(|m| *m != "stdlib" && within(m))
        .max_by_key(|m| m.len());
    if best.is_some() {
        return best;
    }
    let first = path.split('/').next().unwrap_or(path);
    (!first.contains('.') && path != "main").then_some("stdlib")
}

/// Names to look for the table under, in order.
const SECTIONS: [&str; 3] = [".gopclntab", ".data.rel.ro.gopclntab", "__gopclntab"];
/// How many header-shaped candidates the scan fully parses before giving up.
const MAX_CANDIDATES: usize = 32;

/// Reads the function table of an ELF, Mach-O or PE binary.
pub fn read(binary: &[u8]) -> Result<FuncTable, Error> {
    let file = object::File::parse(binary).ok();
    if let Some(f) = &file {
        for name in SECTIONS {
            if let Some(s) = f.section_by_name(name) {
                let data = s
                    .data()
                    .map_err(|e| Error::Corrupt(format!("section `{name}`: {e}")))?;
                return table(data);
            }
        }
        if let Some(data) = by_symbol(f) {
            return table(data);
        }
    }
    scan(binary)
}

/// Reads a pclntab that starts at `data[0]` (for tests and fuzzing of the table alone).
pub fn read_table(data: &[u8]) -> Result<FuncTable, Error> {
    table(data)
}

fn table(data: &[u8]) -> Result<FuncTable, Error> {
    let p = pclntab::parse(data)?;
    let text = |n: &[u8]| String::from_utf8_lossy(n).into_owned();
    Ok(FuncTable {
        layout: p.layout,
        functions: p.functions.iter().map(|n| text(n)).collect(),
        names: p.names.iter().map(|n| text(n)).collect(),
    })
}

/// The bytes from `runtime.pclntab` on, where the symbol table names it (PE keeps the table
/// inside `.rdata` under that symbol).
fn by_symbol<'a>(f: &object::File<'a>) -> Option<&'a [u8]> {
    let sym = f.symbols().find(|s| s.name() == Ok("runtime.pclntab"))?;
    let addr = sym.address();
    f.sections().find_map(|s| {
        let start = s.address();
        let off = usize::try_from(addr.checked_sub(start)?).ok()?;
        (addr < start.checked_add(s.size())?)
            .then(|| s.data().ok()?.get(off..))
            .flatten()
    })
}

/// Scans for a header (binaries without section headers, packed or `sstrip`ped): the first
/// candidate that parses wins.
fn scan(binary: &[u8]) -> Result<FuncTable, Error> {
    let mut last = Error::NotFound;
    let candidates = (0..binary.len().saturating_sub(8))
        .filter(|&i| pclntab::looks_like_header(&binary[i..]))
        .take(MAX_CANDIDATES);
    for at in candidates {
        match table(&binary[at..]) {
            Ok(t) if !t.functions.is_empty() => return Ok(t),
            Ok(_) => {}
            Err(e @ Error::Unsupported { .. }) => last = e,
            Err(e) if last == Error::NotFound => last = e,
            Err(_) => {}
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_for_a_table_inside_other_bytes() {
        let t = pclntab::tests::build(
            Layout::Go118,
            8,
            &["main.main", "net/http.(*Server).Serve"],
            &["net/http.(*conn).serve"],
        );
        let mut bin = vec![0x90u8; 1001];
        // A header-shaped decoy first: it fails to parse, the real table is found.
        bin.extend(&t[..8]);
        bin.extend([0xffu8; 40]);
        bin.extend(&t);
        let got = read(&bin).expect("found by scanning");
        assert_eq!(got.functions, ["main.main", "net/http.(*Server).Serve"]);
        let s = got.symbols();
        assert!(s.has_symbol("net/http", "Server.Serve"));
        assert!(
            s.has_symbol("net/http", "conn.serve"),
            "inlined names count"
        );
        assert!(!s.has_package("crypto/tls"));
        assert_eq!(read(&[0u8; 100]), Err(Error::NotFound));
    }

    #[test]
    fn modules_own_their_import_paths() {
        let mut s = Symbols::default();
        for p in [
            "net/http",
            "vendor/golang.org/x/net/http2/hpack",
            "golang.org/x/net/http2",
            "golang.org/x/net/http2/h2c",
            "golang.org/x/netx",
            "example.com/app/internal",
            "main",
        ] {
            s.packages.entry(p.into()).or_default().insert("F".into());
        }
        let mods = [
            "stdlib",
            "golang.org/x/net",
            "golang.org/x/net/http2/h2c",
            "example.com/app",
        ];
        let keys = |m| s.of_module(m, mods).into_keys().collect::<Vec<_>>();
        assert_eq!(
            keys("stdlib"),
            ["net/http", "vendor/golang.org/x/net/http2/hpack"]
        );
        assert_eq!(keys("golang.org/x/net"), ["golang.org/x/net/http2"]);
        assert_eq!(
            keys("golang.org/x/net/http2/h2c"),
            ["golang.org/x/net/http2/h2c"]
        );
        assert_eq!(keys("example.com/app"), ["example.com/app/internal"]);
    }
}
