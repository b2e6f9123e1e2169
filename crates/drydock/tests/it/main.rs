//! Integration tests of the `drydock` binary: one module per command.

mod attest;
mod cache;
mod ci_files;
mod cvss;
mod db;
mod fixtures;
mod fleet;
mod forge;
mod hostile;
mod misconfig;
mod misconfig_scan;
mod publish;
mod registry;
mod sbom;
mod scan;
mod serve;
mod tracker;
mod triage;
mod trivy_compat;
mod trivy_migrate;
mod version;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

/// The record of `cve` in the real NVD API page in shared data.
pub fn nvd_cve(cve: &str) -> serde_json::Value {
    let path = shared().join("data/advisories/nvd/cves-0001.json");
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let mut page: serde_json::Value = serde_json::from_str(&text).expect("NVD JSON");
    page["vulnerabilities"]
        .as_array_mut()
        .expect("vulnerabilities")
        .iter_mut()
        .map(|v| v["cve"].take())
        .find(|c| c["id"] == cve)
        .unwrap_or_else(|| panic!("{cve} in the NVD page"))
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

/// Checks that the command `what` exited with 0, showing its stderr where it did not.
#[track_caller]
pub fn assert_success(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The stdout of the command `what`, which must have succeeded, as text.
#[track_caller]
pub fn stdout(out: &Output, what: &str) -> String {
    assert_success(out, what);
    String::from_utf8(out.stdout.clone()).expect("UTF-8 output")
}

/// The stdout of the command `what`, which must have succeeded, parsed as JSON.
#[track_caller]
pub fn stdout_json(out: &Output, what: &str) -> serde_json::Value {
    assert_success(out, what);
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("the output of {what} is not JSON: {e}"))
}

/// Runs peer `name` (see [`peer`]) with the arguments `args` gives it, checks that it succeeded
/// and parses its JSON output; `None` where the peer is missing (outside CI).
fn peer_json(name: &str, args: impl FnOnce(&mut Command)) -> Option<serde_json::Value> {
    let mut cmd = Command::new(peer(name)?);
    args(&mut cmd);
    let out = cmd.output().unwrap_or_else(|e| panic!("run `{name}`: {e}"));
    Some(stdout_json(&out, name))
}

/// `trivy image --quiet --input IMAGE --cache-dir CACHE ARGS…`, its JSON output parsed.
pub fn trivy(image: &Path, cache: &Path, args: &[&str]) -> Option<serde_json::Value> {
    peer_json("trivy", |c| {
        c.args(["image", "--quiet", "--input"])
            .arg(image)
            .arg("--cache-dir")
            .arg(cache)
            .args(args);
    })
}

/// `syft SOURCE -q ARGS…` without its update check, its JSON output parsed.
pub fn syft(source: &str, args: &[&str]) -> Option<serde_json::Value> {
    peer_json("syft", |c| {
        c.arg(source)
            .arg("-q")
            .args(args)
            .env("SYFT_CHECK_FOR_APP_UPDATE", "false");
    })
}
