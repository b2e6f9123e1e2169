//! `drydock image … --on-fail-issue` against drydock-forge's fake GitHub: a scan whose gate
//! fails files one issue, a second failing scan comments on it instead of opening another, and
//! a scan that passes the gate closes it; the exit codes stay those of the gate.

use std::path::Path;

use crate::drydock;
use crate::scan::db;
use crate::shared;

use crate::forge::fake::{BOT, Dialect, Fake, TOKEN};

/// `drydock image IMAGE --fail-on CRITICAL --on-fail-issue github:org/cve-reports` against the
/// fake, from a CI job whose run URL GitHub Actions' variables give.
fn gate(fake: &Fake, image: &Path, run_id: &str, extra: &[&str]) -> std::process::Output {
    drydock()
        .arg("image")
        .arg(image)
        .args(extra)
        .arg("--db")
        .arg(db())
        .args(["--fail-on", "CRITICAL", "--format", "json"])
        .args(["--on-fail-issue", "github:org/cve-reports"])
        .args(["--on-fail-issue-url", &fake.base])
        .env("DRYDOCK_FORGE_TOKEN", TOKEN)
        .env_remove("GITHUB_TOKEN")
        .env("GITHUB_SERVER_URL", "https://github.example")
        .env("GITHUB_REPOSITORY", "org/app")
        .env("GITHUB_RUN_ID", run_id)
        .env_remove("CI_JOB_URL")
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .current_dir(std::env::temp_dir())
        .output()
        .expect("run drydock image")
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn on_fail_issue_files_then_comments_then_closes() {
    let fake = Fake::start(Dialect::Github);
    let image = shared().join("data/images/alpine-3.7.3-minirootfs.tar.gz");

    // Run 1: alpine 3.7.3 has CRITICAL CVE-2019-14697 in musl: the gate fails, an issue is filed.
    let out = gate(&fake, &image, "101", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("filed github:org/cve-reports#1"),
        "{}",
        stderr(&out)
    );
    let issues = fake.issues();
    assert_eq!(issues.len(), 1);
    let issue = &issues[0];
    assert_eq!(issue.author, BOT);
    assert_eq!(issue.state, "open");
    assert_eq!(issue.labels, ["security"]);
    assert!(
        issue
            .title
            .starts_with("security scan regression: CVE-2019-14697 in musl"),
        "{}",
        issue.title
    );
    assert!(
        issue
            .body
            .contains("https://github.example/org/app/actions/runs/101"),
        "{}",
        issue.body
    );
    assert!(!stderr(&out).contains(TOKEN), "the token never prints");

    // Run 2: the same failure: a comment on that issue, no second issue.
    let writes = fake.writes();
    let out = gate(&fake, &image, "102", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("commented on github:org/cve-reports#1"));
    assert_eq!(fake.issues().len(), 1, "no duplicate");
    let issue = fake.issue(1);
    assert_eq!(issue.state, "open");
    assert_eq!(issue.comments.len(), 1);
    assert!(
        issue.comments[0].contains("actions/runs/102"),
        "{:?}",
        issue.comments
    );
    assert_eq!(fake.writes() - writes, 1, "one write: the comment");

    // Run 3: the team records the finding as accepted (a `.trivyignore`): the gate passes,
    // exit 0, and the issue is closed as completed with a comment.
    let dir = tempfile::tempdir().expect("tmp");
    let ignore = dir.path().join(".trivyignore");
    std::fs::write(&ignore, "CVE-2019-14697\n").expect("write ignore file");
    let ignore = ignore.to_string_lossy().into_owned();
    let green = ["--ignore-file", ignore.as_str()];
    let out = gate(&fake, &image, "103", &green);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("closed github:org/cve-reports#1"),
        "{}",
        stderr(&out)
    );
    let issue = fake.issue(1);
    assert_eq!(issue.state, "closed");
    assert_eq!(issue.state_reason.as_deref(), Some("completed"));
    assert_eq!(issue.comments.len(), 2);
    assert!(issue.comments[1].contains("actions/runs/103"));
    assert_eq!(fake.issues().len(), 1);

    // Green again: nothing open, nothing written.
    let writes = fake.writes();
    let out = gate(&fake, &image, "104", &green);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(fake.writes(), writes);

    // Red again: the closed issue stays closed; a new one is filed.
    let out = gate(&fake, &image, "105", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("filed github:org/cve-reports#2"));
    assert_eq!(fake.issue(1).state, "closed");
}

#[test]
fn on_fail_issue_without_write_access_is_an_error_exit() {
    let fake = Fake::start(Dialect::Github);
    let image = shared().join("data/images/alpine-3.7.3-minirootfs.tar.gz");
    let out = drydock()
        .arg("image")
        .arg(&image)
        .arg("--db")
        .arg(db())
        .args(["--fail-on", "CRITICAL", "--format", "json"])
        .args(["--on-fail-issue", "github:org/cve-reports"])
        .args(["--on-fail-issue-url", &fake.base])
        .env("DRYDOCK_FORGE_TOKEN", "read-only-token")
        .current_dir(std::env::temp_dir())
        .output()
        .expect("run drydock image");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("org/cve-reports") && err.contains("issues: write"),
        "{err}"
    );
    assert!(!err.contains("read-only-token"), "{err}");
    assert!(fake.issues().is_empty());
}
