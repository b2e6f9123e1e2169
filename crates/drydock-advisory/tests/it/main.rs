//! Integration tests of drydock-advisory: builds from the real feeds in `../shared` and from
//! fixtures written by the tests, queried through the public API.

mod build;
mod debian;
mod malformed;
mod query;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use drydock_advisory::{BuildReport, Db};

/// `../shared` from the workspace root (or `DRYDOCK_SHARED`).
pub fn shared() -> PathBuf {
    match std::env::var_os("DRYDOCK_SHARED") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}

pub fn advisories() -> PathBuf {
    shared().join("data/advisories")
}

/// One DB built from the shared feeds, for every test of this binary.
pub fn shared_db() -> &'static (tempfile::TempDir, BuildReport) {
    static DB: OnceLock<(tempfile::TempDir, BuildReport)> = OnceLock::new();
    DB.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let report = drydock_advisory::build(&[advisories()], &dir.path().join("drydock.db"))
            .expect("the shared feeds build");
        (dir, report)
    })
}

pub fn open_shared() -> Db {
    Db::open(&shared_db().1.path).expect("the built DB opens")
}

/// Builds a DB from `bases` into `dir`.
pub fn build_in(dir: &Path, bases: &[PathBuf]) -> BuildReport {
    drydock_advisory::build(bases, &dir.join("drydock.db")).expect("build succeeds")
}
