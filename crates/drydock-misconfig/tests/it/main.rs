//! Integration tests of drydock-misconfig: the fixture Dockerfiles and images built by
//! `tests/fixtures/make_fixtures.py`, real images from `../shared/data`, and bad input.

mod dockerfiles;
mod images;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The fixtures, built once per test run by the committed script.
pub fn fixtures() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("misconfig-fixtures-{}", std::process::id()));
        let script =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/make_fixtures.py");
        let st = Command::new("python3")
            .arg(&script)
            .arg(&out)
            .status()
            .expect("python3 runs the fixture script");
        assert!(st.success(), "make_fixtures.py failed: {st}");
        out
    })
}

/// `../shared` (or `DRYDOCK_SHARED`).
pub fn shared() -> PathBuf {
    match std::env::var_os("DRYDOCK_SHARED") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}
