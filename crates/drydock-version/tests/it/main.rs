//! Differential tests of drydock-version against the reference implementations, on real version
//! strings (Debian status file, rpm databases' package lists, OSV and Alpine feeds) plus generated
//! edge cases. Each reference runs as ONE process for all pairs.
//!
//! Where the tools are: `.ci/setup.d/version.sh` installs them and exports
//! `DRYDOCK_PACKAGING_PYTHON`, `DRYDOCK_NPM_SEMVER`, `DRYDOCK_MAVEN_ARTIFACT`, `DRYDOCK_APT_PYTHON`
//! and `DRYDOCK_DEBIAN_STATUS`. A missing tool fails the test when `CI` is set and skips it with a
//! note otherwise.

mod corpus;
mod differential;
mod osv_feeds;

use std::path::PathBuf;

/// `../shared` from the workspace root (or `DRYDOCK_SHARED`).
pub fn shared() -> PathBuf {
    match std::env::var_os("DRYDOCK_SHARED") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}

/// Call when a reference tool or input is missing: fails under CI, skips (returns) locally.
pub fn missing(what: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("{what} is missing; .ci/setup.d/version.sh should have installed it");
    }
    eprintln!("note: skipping, {what} is missing (run .ci/setup.d/version.sh)");
}
