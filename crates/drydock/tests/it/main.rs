//! Integration tests of the `drydock` binary: one module per command.

mod cache;
mod cvss;
mod db;
mod fixtures;
mod registry;
mod sbom;
mod scan;
mod version;

use std::path::PathBuf;
use std::process::Command;

/// The built `drydock` binary, with a clean environment for colour and logging, and a cache
/// directory of this test run's own (tests that exercise the cache pass theirs).
pub fn drydock() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_drydock"));
    let cache =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("cache-{}", std::process::id()));
    c.env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .env("DRYDOCK_CACHE_DIR", cache);
    c
}

/// `../shared` from the workspace root (or `DRYDOCK_SHARED`).
pub fn shared() -> PathBuf {
    match std::env::var_os("DRYDOCK_SHARED") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}

fn ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false")
}

/// A reference the test needs: in CI its absence fails the test; locally the test is skipped
/// with a note.
pub fn require<T>(what: &str, found: Option<T>) -> Option<T> {
    if found.is_none() {
        assert!(
            !ci(),
            "{what} is missing (CI must install it: see .ci/setup.sh)"
        );
        eprintln!("note: skipping, {what} is missing");
    }
    found
}

/// A peer scanner (`trivy`, `syft`, `cargo-audit`) from `DRYDOCK_PEERS` (default
/// `/work/cache/peers`, where `../shared/peers/install.sh` puts them on a developer machine).
pub fn peer(name: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("DRYDOCK_PEERS")
        .map_or_else(|| PathBuf::from("/work/cache/peers"), PathBuf::from);
    let p = dir.join(name);
    require(&format!("peer `{name}`"), p.is_file().then_some(p))
}

/// The corpus built by `../shared/corpus/build-images.sh` (`DRYDOCK_CORPUS`, default
/// `/work/cache/corpus`): the directory holding `debian-app/`.
pub fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("DRYDOCK_CORPUS")
        .map_or_else(|| PathBuf::from("/work/cache/corpus"), PathBuf::from);
    require(
        "the corpus image",
        dir.join("debian-app/oci/index.json")
            .is_file()
            .then_some(dir),
    )
}
