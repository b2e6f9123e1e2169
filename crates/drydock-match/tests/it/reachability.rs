//! Issue 20: reachability evidence on real binaries, matched against the shared feeds.
//!
//! Go: the fixture program of `drydock-gosym/tests/fixtures/make_binaries.sh`, built for
//! linux/amd64, linux/s390x and windows/amd64: GO-2025-3750 (imports `os`, `syscall` for
//! `goos: windows`) and GO-2025-3447 (`crypto/internal/nistec`, `goarch: ppc64le`) are
//! `platform_not_affected` where they do not apply.
//!
//! Rust: the `cargo auditable` fixtures of `make_rust_binaries.sh` (smallvec 1.6.0,
//! RUSTSEC-2021-0003 names `smallvec::SmallVec::insert_many`) and the corpus image's
//! `corpus-rs`.

use std::path::{Path, PathBuf};
use std::process::Command;

use drydock_inventory::Mode;
use drydock_match::{Finding, MatchOptions, Reachability, match_inventory};

/// Skips (prints why) unless `CI` is set, where a missing tool is a failure.
fn missing(what: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "{what} (needed in CI: see .ci/setup.d/gosym.sh)"
    );
    eprintln!("skipped: {what}");
}

/// Runs one of drydock-gosym's fixture scripts once into the target dir; `None` (skipped)
/// when `tool` is missing.
fn built(script: &str, out: &str, tool: &[&str]) -> Option<PathBuf> {
    let ok = Command::new(tool[0])
        .args(&tool[1..])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        missing(&format!("`{}` is not installed", tool.join(" ")));
        return None;
    }
    static BUILD: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = BUILD.lock().unwrap_or_else(|p| p.into_inner());
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(out);
    if !out.join("done").exists() {
        let script = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../drydock-gosym/tests/fixtures")
            .join(script);
        let st = Command::new("bash")
            .arg(&script)
            .arg(&out)
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_TARGET_DIR")
            .output()
            .expect("runs the fixture script");
        assert!(
            st.status.success(),
            "{}: {}{}",
            script.display(),
            String::from_utf8_lossy(&st.stdout),
            String::from_utf8_lossy(&st.stderr)
        );
        std::fs::write(out.join("done"), "").expect("marks the build");
    }
    Some(out)
}

/// The findings of one binary, scanned as the only file of a directory.
fn findings(bin: &Path, name: &str) -> Vec<Finding> {
    let root = bin.with_extension("rootfs");
    let dest = root.join("usr/local/bin").join(name);
    std::fs::create_dir_all(dest.parent().expect("has a parent")).expect("mkdir");
    std::fs::copy(bin, &dest).expect("copies the binary");
    let target = drydock_image::open(root.to_str().expect("UTF-8 path"), &Default::default())
        .expect("the directory opens");
    let inv = drydock_inventory::inventory(&target, Mode::Fs, &Default::default())
        .expect("inventories")
        .inventory;
    match_inventory(name, &inv, &crate::db(), &MatchOptions::default())
        .expect("matches")
        .findings
}

/// The evidence on the finding of record `id` (the finding's id or an alias).
fn evidence<'a>(findings: &'a [Finding], id: &str) -> &'a Reachability {
    let f = findings
        .iter()
        .find(|f| f.id == id || f.aliases.iter().any(|a| a == id))
        .unwrap_or_else(|| panic!("no finding for `{id}`"));
    f.evidence
        .as_ref()
        .unwrap_or_else(|| panic!("`{id}` has no evidence"))
}

fn not_affected(platform: &str, affected: &str) -> Reachability {
    Reachability::PlatformNotAffected {
        platform: platform.into(),
        affected: vec![affected.into()],
    }
}

#[test]
fn issue_20_go_imports_of_other_platforms() {
    let Some(dir) = built("make_binaries.sh", "match-go-fixtures", &["go", "version"]) else {
        return;
    };
    let linux = findings(&dir.join("app-linux-amd64"), "app");
    let s390x = findings(&dir.join("app-linux-s390x"), "app");
    let windows = findings(&dir.join("app-windows-amd64.exe"), "app.exe");
    assert_eq!(
        evidence(&linux, "GO-2025-3750"),
        &not_affected("linux/amd64", "windows")
    );
    assert_eq!(
        evidence(&s390x, "GO-2025-3750"),
        &not_affected("linux/s390x", "windows")
    );
    let on_windows = evidence(&windows, "GO-2025-3750");
    assert!(
        !matches!(on_windows, Reachability::PlatformNotAffected { .. }),
        "{on_windows:?}"
    );
    for (f, platform) in [(&linux, "linux/amd64"), (&windows, "windows/amd64")] {
        assert_eq!(
            evidence(f, "GO-2025-3447"),
            &not_affected(platform, "ppc64le")
        );
    }
    // No restriction: the platform changes nothing.
    assert_eq!(
        evidence(&linux, "GO-2025-4010"),
        evidence(&windows, "GO-2025-4010")
    );
    assert!(evidence(&linux, "GO-2025-3750").code_absent());
}

#[test]
fn issue_20_rust_functions_in_auditable_binaries() {
    let Some(dir) = built(
        "make_rust_binaries.sh",
        "match-rust-fixtures",
        &["cargo", "auditable", "--version"],
    ) else {
        return;
    };
    let id = "RUSTSEC-2021-0003";
    assert_eq!(
        evidence(&findings(&dir.join("calls-insert-many"), "a"), id),
        &Reachability::SymbolsPresent {
            symbols: vec!["smallvec::SmallVec::insert_many".into()]
        }
    );
    for b in ["inlined-insert-many", "no-insert-many-v0"] {
        let f = findings(&dir.join(b), "b");
        let e = evidence(&f, id);
        assert_eq!(
            e,
            &Reachability::SymbolsNotFound {
                packages: vec!["smallvec".into()]
            },
            "{b}"
        );
        assert!(!e.code_absent(), "a missing Rust symbol is never filtered");
    }
    let stripped = findings(&dir.join("calls-insert-many-strip"), "c");
    assert!(matches!(
        evidence(&stripped, id),
        Reachability::Unknown { reason } if reason.contains("no Rust function symbols")
    ));
}

#[test]
fn issue_20_corpus_rust_binary() {
    let root = std::env::var_os("DRYDOCK_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| "/var/cache/drydock-ci/corpus".into());
    let bin = root.join("work/l5-rust/usr/local/bin/corpus-rs");
    if !bin.exists() {
        return missing(&format!("no corpus build at `{}`", root.display()));
    }
    let copy = Path::new(env!("CARGO_TARGET_TMPDIR")).join("match-corpus-rs/corpus-rs");
    std::fs::create_dir_all(copy.parent().expect("has a parent")).expect("mkdir");
    std::fs::copy(&bin, &copy).expect("copies");
    let f = findings(&copy, "corpus-rs");
    // time 0.1.43: `time::now` is called.
    assert_eq!(
        evidence(&f, "RUSTSEC-2020-0071"),
        &Reachability::SymbolsPresent {
            symbols: vec!["time::now".into()]
        }
    );
    // smallvec 1.6.0: insert_many is never called.
    assert!(matches!(
        evidence(&f, "RUSTSEC-2021-0003"),
        Reachability::SymbolsNotFound { .. }
    ));
    // regex 1.5.4: the advisory names no functions.
    assert!(matches!(
        evidence(&f, "RUSTSEC-2022-0013"),
        Reachability::Unknown { .. }
    ));
}
