//! drydock's function table against `go tool nm`, for every Go binary of the corpus image and
//! the fixtures `tests/fixtures/make_binaries.sh` builds with the installed Go.
//!
//! `go tool nm` reads the symbol table; the function table must list exactly its Go text
//! symbols (C functions from cgo and the linker's section markers have no pclntab entry). A
//! binary without a symbol table (`-ldflags=-s`, `strip`) must give the same functions as
//! the same build with one.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{assert_same, built, corpus, missing, runs};

fn have_go() -> bool {
    runs("go", &["version"])
}

/// The fixture binaries, built once per target dir.
fn fixtures() -> Option<PathBuf> {
    if !have_go() {
        missing("`go` is not installed: fixture binaries cannot be built");
        return None;
    }
    Some(built("make_binaries.sh", "gosym-fixtures", "go-version"))
}

/// `go tool nm`'s text symbols that are Go functions.
fn nm_functions(listing: &str) -> BTreeSet<String> {
    listing
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (_addr, kind) = (f.next()?, f.next()?);
            let name = f.collect::<Vec<_>>().join(" ");
            (matches!(kind, "T" | "t") && is_go(&name)).then(|| canonical(&name))
        })
        .collect()
}

/// The symbol table names assembly functions with their ABI (`crypto/md5.block.abi0`) and
/// generic instantiations with their type arguments (`main.(*List[go.shape.int_0]).Len`);
/// the function table without the ABI and with `[...]` (Go 1.19+).
fn canonical(name: &str) -> String {
    let name = name.strip_suffix(".abi0").unwrap_or(name);
    // Linker-made equality functions: `·` in the function table, `.` in the symbol table.
    let name = name.replace('·', ".");
    let mut out = String::with_capacity(name.len());
    let mut depth = 0usize;
    for c in name.chars() {
        match c {
            '[' => {
                if depth == 0 {
                    out.push_str("[...]");
                }
                depth += 1;
            }
            ']' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The symbol table's text symbols that have no function-table entry: the linker's markers
/// around the text (`runtime.text`, `runtime.etext`, `go:buildid`) and C code (cgo, the C
/// runtime), whose names have no dot or start with `_`/`.`, and the external linker's
/// per-package section symbols (`net(.text)`).
fn is_go(name: &str) -> bool {
    !matches!(
        name,
        "runtime.text" | "runtime.etext" | "go:buildid" | "go.buildid"
    ) && name.contains('.')
        && !name.starts_with(['_', '.'])
        && !name.starts_with("runtime.text.")
        && !name.contains("(.text")
}

fn compare(bin: &Path, nm: &BTreeSet<String>) {
    let bytes = std::fs::read(bin).expect("reads the binary");
    let table = drydock_gosym::read(&bytes).unwrap_or_else(|e| panic!("{}: {e}", bin.display()));
    let ours: BTreeSet<String> = table
        .functions
        .iter()
        .filter(|f| is_go(f))
        .map(|f| canonical(f))
        .collect();
    assert_same(bin, "`go tool nm`", nm, &ours, 1000);
    // The name table holds every function name and more (the inlined ones).
    assert!(table.functions.iter().all(|f| table.names.contains(f)));
}

#[test]
fn fixtures_match_go_tool_nm() {
    let Some(dir) = fixtures() else { return };
    for b in [
        "app-linux-amd64",
        "app-linux-386",
        "app-linux-s390x",
        "app-darwin-amd64",
        "app-windows-amd64.exe",
    ] {
        let listing = std::fs::read_to_string(dir.join(format!("{b}.nm"))).expect("the nm listing");
        compare(&dir.join(b), &nm_functions(&listing));
    }
    // Without a symbol table: the same functions as the build that kept one.
    let listing = std::fs::read_to_string(dir.join("app-linux-amd64.nm")).expect("nm listing");
    let nm = nm_functions(&listing);
    for b in ["app-linux-amd64-s", "app-linux-amd64-strip"] {
        if dir.join(b).exists() {
            compare(&dir.join(b), &nm);
        }
    }
}

#[test]
fn fixture_symbols_as_the_vulnerability_database_names_them() {
    let Some(dir) = fixtures() else { return };
    let bytes = std::fs::read(dir.join("app-linux-amd64-s")).expect("reads");
    let s = drydock_gosym::read(&bytes)
        .expect("reads the table")
        .symbols();
    for (path, sym) in [
        ("net/http", "StatusText"),
        ("main", "List.Len"),
        ("main", "greeter.Hello"),
        ("strings", "ToUpper"),
        ("fmt", "Println"),
    ] {
        assert!(
            s.has_symbol(path, sym),
            "{path}.{sym} in {:?}",
            s.packages.get(path)
        );
    }
    // Linked by nothing in the program.
    assert!(!s.has_package("net/smtp"));
    assert!(!s.has_symbol("net/http", "ListenAndServeTLS"));
}

#[test]
fn corrupted_section_is_an_error() {
    let Some(dir) = fixtures() else { return };
    let mut bytes = std::fs::read(dir.join("app-linux-amd64")).expect("reads");
    let at = find(&bytes, &[0xf0, 0xff, 0xff, 0xff, 0, 0, 1, 8]).expect("the header");
    // A function-table offset past the end of the table.
    bytes[at + 8 + 7 * 8..at + 8 + 8 * 8].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(matches!(
        drydock_gosym::read(&bytes),
        Err(drydock_gosym::Error::Corrupt(_))
    ));
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Every Go binary of the corpus image's build tree (`$DRYDOCK_CORPUS`, default
/// `/var/cache/drydock-ci/corpus`).
#[test]
fn corpus_binaries_match_go_tool_nm() {
    let root = corpus();
    let bins = [root.join("work/l4-go/usr/local/bin/hello-go")];
    if !bins.iter().all(|b| b.exists()) {
        return missing(&format!("no corpus build at `{}`", root.display()));
    }
    if !have_go() {
        return missing("`go` is not installed: no `go tool nm` to compare with");
    }
    for b in bins {
        let out = Command::new("go")
            .args(["tool", "nm"])
            .arg(&b)
            .output()
            .expect("runs go tool nm");
        assert!(out.status.success(), "go tool nm {}", b.display());
        let nm = nm_functions(&String::from_utf8_lossy(&out.stdout));
        compare(&b, &nm);
    }
}

/// The object header's platform of each fixture, as `go build` was told (`GOOS`/`GOARCH`);
/// Linux ELF names no OS, so `goos` stays unknown rather than guessed.
#[test]
fn fixture_platforms_from_the_header() {
    let Some(dir) = fixtures() else { return };
    for (b, goos, goarch) in [
        ("app-linux-amd64", None, "amd64"),
        ("app-linux-386", None, "386"),
        ("app-linux-s390x", None, "s390x"),
        ("app-darwin-amd64", Some("darwin"), "amd64"),
        ("app-windows-amd64.exe", Some("windows"), "amd64"),
    ] {
        let bytes = std::fs::read(dir.join(b)).expect("reads");
        assert_eq!(
            drydock_gosym::platform(&bytes),
            drydock_gosym::Platform {
                goos,
                goarch: Some(goarch)
            },
            "{b}"
        );
    }
    assert_eq!(
        drydock_gosym::platform(b"not a binary"),
        drydock_gosym::Platform::default()
    );
}
