//! Integration tests: real Go binaries against `go tool nm`, real Rust binaries against
//! binutils' `nm`.

mod nm;
mod rust;

/// Skips (prints why) unless `CI` is set, where a missing tool is a failure.
fn missing(what: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "{what} (needed in CI: see .ci/setup.d/gosym.sh)"
    );
    eprintln!("skipped: {what}");
}
