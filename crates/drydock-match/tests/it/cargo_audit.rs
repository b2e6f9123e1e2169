//! `cargo audit` agreement: the same RustSec data (the advisory-db tarball for cargo-audit, its
//! OSV export in drydock's DB) must give the same advisory ids for the same Cargo.lock.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use drydock_match::{MatchOptions, match_inventory};
use drydock_package::{Ecosystem, Inventory, Package};

use crate::{db, shared};

fn env_dir(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default))
}

/// `Some(path)` when present; when missing, fails under CI and skips with a note elsewhere.
fn required(path: PathBuf, what: &str) -> Option<PathBuf> {
    if path.exists() {
        return Some(path);
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "{what} missing at `{}` (CI must provide it)",
            path.display()
        );
    }
    eprintln!(
        "note: skipping the cargo-audit comparison: {what} missing at `{}`",
        path.display()
    );
    None
}

fn inventory(lock: &Path) -> Inventory {
    let lockfile = cargo_lock::Lockfile::load(lock).expect("the Cargo.lock parses");
    let mut inv = Inventory::default();
    for p in lockfile.packages {
        inv.packages.push(Package::new(
            Ecosystem::Cargo,
            p.name.as_str(),
            p.version.to_string(),
        ));
    }
    inv.normalize();
    inv
}

type Ids = BTreeSet<(String, String, String)>;

/// (package, version, id) of cargo-audit's vulnerabilities and of its warnings (kind in the id
/// slot's suffix: `RUSTSEC-…/unmaintained`).
fn cargo_audit(tool: &Path, db_dir: &Path, lock: &Path) -> (Ids, Ids) {
    let out = Command::new(tool)
        .args(["audit", "--db"])
        .arg(db_dir)
        .args(["--no-fetch", "--stale", "--no-yanked", "--json", "-f"])
        .arg(lock)
        .output()
        .expect("cargo-audit runs");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "cargo-audit printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let key = |v: &serde_json::Value, id: String| {
        (
            v["package"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            v["package"]["version"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            id,
        )
    };
    let vulns = report["vulnerabilities"]["list"]
        .as_array()
        .expect("a vulnerability list")
        .iter()
        .map(|v| {
            key(
                v,
                v["advisory"]["id"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let mut warnings = BTreeSet::new();
    if let Some(map) = report["warnings"].as_object() {
        for (kind, list) in map {
            for w in list.as_array().into_iter().flatten() {
                let id = w["advisory"]["id"].as_str().unwrap_or("(none)");
                warnings.insert(key(w, format!("{id}/{kind}")));
            }
        }
    }
    (vulns, warnings)
}

fn drydock(lock: &Path) -> (Ids, Ids) {
    let out = match_inventory("t", &inventory(lock), &db(), &MatchOptions::default())
        .expect("matching works");
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    let mut vulns = BTreeSet::new();
    for f in &out.findings {
        // Reported under the CVE when there is one; cargo-audit names the RUSTSEC record.
        for id in std::iter::once(&f.id).chain(&f.aliases) {
            if id.starts_with("RUSTSEC-") {
                vulns.insert((f.package.clone(), f.installed.clone(), id.clone()));
            }
        }
    }
    let notices = out
        .notices
        .iter()
        .map(|n| {
            (
                n.package.clone(),
                n.installed.clone(),
                format!("{}/{}", n.id, n.kind),
            )
        })
        .collect();
    (vulns, notices)
}

fn extract_rustsec() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("drydock-match-rustsec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let status = Command::new("tar")
        .arg("xzf")
        .arg(shared().join("data/advisories/rustsec/advisory-db.tar.gz"))
        .arg("-C")
        .arg(&dir)
        .status()
        .expect("tar runs");
    assert!(status.success(), "the RustSec tarball extracts");
    dir
}

fn compare(tool: &Path, db_dir: &Path, lock: &Path) -> (Ids, Ids) {
    let (audit_vulns, audit_warnings) = cargo_audit(tool, db_dir, lock);
    let (ours, notices) = drydock(lock);
    assert_eq!(
        ours,
        audit_vulns,
        "vulnerabilities of `{}`: drydock (left) vs cargo-audit (right)",
        lock.display()
    );
    assert_eq!(
        notices,
        audit_warnings,
        "warnings of `{}`: drydock (left) vs cargo-audit (right)",
        lock.display()
    );
    (ours, notices)
}

#[test]
fn same_advisory_ids_as_cargo_audit() {
    let Some(tool) = required(
        env_dir("DRYDOCK_PEERS", "/work/cache/peers").join("cargo-audit"),
        "cargo-audit",
    ) else {
        return;
    };
    let Some(lock) = required(
        env_dir("DRYDOCK_CORPUS", "/work/cache/corpus")
            .join("work/l5-rust/src/corpus-rs/Cargo.lock"),
        "the corpus image's Cargo.lock",
    ) else {
        return;
    };
    let db_dir = extract_rustsec();

    let (vulns, _) = compare(&tool, &db_dir, &lock);
    assert!(
        !vulns.is_empty(),
        "the corpus Cargo.lock has known vulnerabilities"
    );

    // The corpus lockfile has no informational advisories: a second lockfile with crates that
    // have unmaintained/unsound ones compares the warnings too.
    let extra = db_dir.join("Cargo.lock");
    std::fs::write(&extra, WARNINGS_LOCK).expect("the extra lockfile writes");
    let (_, warnings) = compare(&tool, &db_dir, &extra);
    assert!(
        !warnings.is_empty(),
        "the extra lockfile has informational advisories"
    );

    let _ = std::fs::remove_dir_all(&db_dir);
}

/// Crates with informational RustSec advisories at these versions (and one vulnerability).
const WARNINGS_LOCK: &str = r#"version = 3

[[package]]
name = "ansi_term"
version = "0.12.1"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "atty"
version = "0.2.14"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "warnings-demo"
version = "0.1.0"
dependencies = [
 "ansi_term",
 "atty",
 "time",
]

[[package]]
name = "time"
version = "0.1.43"
source = "registry+https://github.com/rust-lang/crates.io-index"
"#;
