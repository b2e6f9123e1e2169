//! Integration tests of drydock-misconfig: the fixture Dockerfiles and images built by
//! `tests/fixtures/make_fixtures.py`, and bad input.

mod dockerfiles;
mod images;

use std::path::PathBuf;

pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}
