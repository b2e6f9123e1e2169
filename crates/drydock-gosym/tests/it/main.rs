//! Integration tests: real Go binaries against `go tool nm`, real Rust binaries against
//! binutils' `nm`.

mod nm;
mod rust;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Skips (prints why) unless `CI` is set, where a missing tool is a failure.
fn missing(what: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "{what} (needed in CI: see .ci/setup.d/gosym.sh)"
    );
    eprintln!("skipped: {what}");
}

/// Whether `cmd args…` runs and succeeds.
fn runs(cmd: &str, args: &[&str]) -> bool {
    Command::new(cmd)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `tests/fixtures/SCRIPT` run once per target dir into `OUT` (it writes `marker` last).
/// Tests run in parallel: one builds, the others wait for it.
fn built(script: &str, out: &str, marker: &str) -> PathBuf {
    static BUILD: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = BUILD.lock().unwrap_or_else(|p| p.into_inner());
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(out);
    if !out.join(marker).exists() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(script);
        let st = Command::new("bash")
            .arg(path)
            .arg(&out)
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_TARGET_DIR")
            .output()
            .unwrap_or_else(|e| panic!("runs {script}: {e}"));
        assert!(
            st.status.success(),
            "{script} failed: {}{}",
            String::from_utf8_lossy(&st.stdout),
            String::from_utf8_lossy(&st.stderr)
        );
    }
    out
}

/// The corpus image's build tree (`$DRYDOCK_CORPUS`, default `/var/cache/drydock-ci/corpus`).
fn corpus() -> PathBuf {
    std::env::var_os("DRYDOCK_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| "/var/cache/drydock-ci/corpus".into())
}

/// Asserts drydock read the same names as the reference tool, and more than `min` of them.
fn assert_same(
    bin: &Path,
    tool: &str,
    theirs: &BTreeSet<String>,
    ours: &BTreeSet<String>,
    min: usize,
) {
    let only_theirs: Vec<_> = theirs.difference(ours).take(20).collect();
    let only_ours: Vec<_> = ours.difference(theirs).take(20).collect();
    assert!(
        only_theirs.is_empty() && only_ours.is_empty(),
        "{}: {tool} only: {only_theirs:?}; drydock only: {only_ours:?}",
        bin.display()
    );
    assert!(
        ours.len() > min,
        "{}: only {} names",
        bin.display(),
        ours.len()
    );
}
