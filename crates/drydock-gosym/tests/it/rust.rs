//! Rust symbols of `cargo auditable` binaries built by `tests/fixtures/make_rust_binaries.sh`
//! (and the corpus image's `corpus-rs`) against binutils' `nm`, whose demangler is not the
//! one drydock uses.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use drydock_gosym::{Error, read_rust, rust_function_linked, rust_paths as paths};

use crate::{assert_same, built, corpus, missing, runs};

/// The fixture binaries, built once per target dir.
pub fn fixtures() -> Option<PathBuf> {
    if !runs("cargo", &["auditable", "--version"]) {
        missing("`cargo-auditable` is not installed: Rust fixture binaries cannot be built");
        return None;
    }
    Some(built(
        "make_rust_binaries.sh",
        "rustsym-fixtures",
        "cargo-version",
    ))
}

/// The paths of the Rust text symbols in `nm --defined-only` (mangled) beside `nm -C` (the
/// same lines, demangled by binutils).
fn nm_paths(mangled: &str, demangled: &str) -> BTreeSet<String> {
    let fields = |l: &str| {
        let mut f = l.splitn(3, ' ');
        let (_, kind, name) = (f.next(), f.next()?, f.next()?);
        Some((kind.to_string(), name.to_string()))
    };
    mangled
        .lines()
        .zip(demangled.lines())
        .filter_map(|(m, d)| Some((fields(m)?, fields(d)?.1)))
        .filter(|((kind, raw), _)| {
            matches!(kind.as_str(), "T" | "t") && (raw.starts_with("_ZN") || raw.starts_with("_R"))
        })
        .flat_map(|(_, d)| paths(&d))
        .filter(|p| p.contains("::"))
        .collect()
}

fn ours(bin: &Path) -> BTreeSet<String> {
    let bytes = std::fs::read(bin).expect("reads the binary");
    read_rust(&bytes)
        .unwrap_or_else(|e| panic!("{}: {e}", bin.display()))
        .crates
        .into_values()
        .flatten()
        .collect()
}

fn compare(bin: &Path, nm: &BTreeSet<String>) {
    assert_same(bin, "nm -C", nm, &ours(bin), 100);
}

#[test]
fn fixture_symbols_match_binutils_nm() {
    let Some(dir) = fixtures() else { return };
    for b in [
        "calls-insert-many",
        "inlined-insert-many",
        "no-insert-many-v0",
    ] {
        let read = |ext: &str| {
            std::fs::read_to_string(dir.join(format!("{b}.{ext}"))).expect("the nm listing")
        };
        compare(&dir.join(b), &nm_paths(&read("nm"), &read("nm-C")));
    }
}

#[test]
fn rustsec_function_in_the_fixtures() {
    let Some(dir) = fixtures() else { return };
    // RUSTSEC-2021-0003, as the feed names it.
    let f = "smallvec::SmallVec::insert_many";
    let crate_of = |b: &str| {
        let bytes = std::fs::read(dir.join(b)).expect("reads");
        let s = read_rust(&bytes).expect("has symbols");
        s.crates.get("smallvec").cloned().unwrap_or_default()
    };
    let calls = crate_of("calls-insert-many");
    assert_eq!(
        rust_function_linked(&calls, f),
        Some("smallvec::SmallVec::insert_many")
    );
    // Called, but inlined into `main`: the symbol table has no trace of it (why drydock
    // never treats a missing Rust symbol as absent code).
    let inlined = crate_of("inlined-insert-many");
    assert!(!inlined.is_empty());
    assert_eq!(rust_function_linked(&inlined, f), None);
    // v0 mangling: the crate's symbols are read too, insert_many is not among them.
    let v0 = crate_of("no-insert-many-v0");
    assert!(v0.contains("smallvec::SmallVec::fmt"), "{v0:?}");
    assert_eq!(rust_function_linked(&v0, f), None);
    // Stripped: nothing to say.
    let stripped = std::fs::read(dir.join("calls-insert-many-strip")).expect("reads");
    assert_eq!(read_rust(&stripped), Err(Error::NoSymbols));
}

/// The corpus image's Rust binary (`$DRYDOCK_CORPUS`, default `/var/cache/drydock-ci/corpus`):
/// `time::now` (RUSTSEC-2020-0071) is called and linked, `SmallVec::insert_many` is not.
#[test]
fn corpus_binary_matches_binutils_nm() {
    let root = corpus();
    let bin = root.join("work/l5-rust/usr/local/bin/corpus-rs");
    if !bin.exists() {
        return missing(&format!("no corpus build at `{}`", root.display()));
    }
    let nm = |demangle: bool| {
        let mut c = Command::new("nm");
        c.arg("--defined-only");
        if demangle {
            c.arg("-C");
        }
        let out = c.arg(&bin).output().expect("runs nm");
        assert!(out.status.success(), "nm {}", bin.display());
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    compare(&bin, &nm_paths(&nm(false), &nm(true)));
    let s = read_rust(&std::fs::read(&bin).expect("reads")).expect("has symbols");
    let time = s.crates.get("time").expect("time's symbols");
    assert_eq!(rust_function_linked(time, "time::now"), Some("time::now"));
    let sv = s.crates.get("smallvec").expect("smallvec's symbols");
    assert_eq!(
        rust_function_linked(sv, "smallvec::SmallVec::insert_many"),
        None
    );
}
