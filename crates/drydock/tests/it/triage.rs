//! `drydock triage`: set/show/list/history, VEX and handbook export/import through the CLI, a
//! scan with `--store` that the triage suppresses, and bad input (exit code, one-line error).

use std::path::Path;
use std::process::Output;

use crate::{drydock, shared};

/// Today for every command (2026-06-01): expiry is judged against it.
const NOW: &str = "1780272000";

fn triage(store: &Path, args: &[&str]) -> Output {
    drydock()
        .arg("triage")
        .args(args)
        .arg("--store")
        .arg(store)
        .env("SOURCE_DATE_EPOCH", NOW)
        .env("DRYDOCK_USER", "alice")
        .output()
        .expect("run drydock triage")
}

fn ok(out: &Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// An error: exit code 2 (1 is the gate's) and one line (`drydock: error: …`) containing `want`.
fn fails(out: &Output, want: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line: {err}");
    assert!(lines[0].contains(want), "`{}` lacks `{want}`", lines[0]);
}

#[test]
fn set_show_list_history() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = dir.path().join("h.db");
    let out = triage(
        &store,
        &[
            "set",
            "CVE-2024-6119",
            "--package",
            "openssl",
            "--image",
            "registry.example/app:1.2",
            "--state",
            "accepted",
            "--reason",
            "own CA only",
            "--expires",
            "2026-06-10",
        ],
    );
    let text = ok(&out, "set");
    assert!(text.starts_with("triage #1 created: CVE-2024-6119 openssl in image registry.example/app: accepted until 2026-06-10"), "{text}");
    ok(
        &triage(
            &store,
            &[
                "set",
                "CVE-2024-6119",
                "--package",
                "openssl",
                "--image",
                "registry.example/app",
                "--owner",
                "bob",
            ],
        ),
        "update",
    );
    let show = ok(&triage(&store, &["show", "1"]), "show");
    assert!(
        show.contains("owner: bob") && show.contains("reason: own CA only"),
        "{show}"
    );
    let history = ok(
        &triage(&store, &["history", "1", "--format", "json"]),
        "history",
    );
    let events: serde_json::Value = serde_json::from_str(&history).expect("JSON");
    let fields: Vec<&str> = events
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, ["state", "reason", "expires", "owner"]);
    let soon = ok(&triage(&store, &["list", "--expiring", "14d"]), "list");
    assert!(
        soon.contains("#1") && soon.contains("own CA only"),
        "{soon}"
    );
    let later = triage(&store, &["list", "--expiring", "2d"]);
    assert!(ok(&later, "list").is_empty());
}

#[test]
fn bad_input_is_exit_2_and_one_line() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = dir.path().join("h.db");
    let base = ["set", "CVE-2024-1", "--package", "p", "--all"];
    fails(
        &triage(&store, &[&base[..], &["--state", "fixed"]].concat()),
        "unknown triage state `fixed`",
    );
    fails(
        &triage(
            &store,
            &[
                &base[..],
                &[
                    "--state",
                    "accepted",
                    "--reason",
                    "r",
                    "--expires",
                    "2026-13-01",
                ],
            ]
            .concat(),
        ),
        "2026-13-01",
    );
    fails(
        &triage(
            &store,
            &[
                &base[..],
                &[
                    "--state",
                    "accepted",
                    "--reason",
                    "r",
                    "--expires",
                    "2026-05-01",
                ],
            ]
            .concat(),
        ),
        "is in the past",
    );
    let corrupt = dir.path().join("corrupt.json");
    std::fs::write(&corrupt, "{\"statements\": [ {\"vulnerability\": ").expect("write");
    fails(
        &triage(&store, &["import", corrupt.to_str().expect("utf-8")]),
        "corrupt.json:",
    );
    let trivy = dir.path().join(".trivyignore");
    std::fs::write(&trivy, "# r\nCVE-2024-1 exp:2026-02-30\n").expect("write");
    fails(
        &triage(&store, &["import", trivy.to_str().expect("utf-8")]),
        ".trivyignore`:2",
    );
    // Nothing was written by any of them.
    assert!(ok(&triage(&store, &["list", "--format", "json"]), "list").trim() == "[]");
}

#[test]
fn vex_export_import_round_trip_through_the_cli() {
    let dir = tempfile::tempdir().expect("tmp");
    let (a, b) = (dir.path().join("a.db"), dir.path().join("b.db"));
    ok(
        &triage(
            &a,
            &[
                "set",
                "CVE-2023-45288",
                "--package",
                "stdlib",
                "--ecosystem",
                "golang",
                "--all",
                "--state",
                "not_affected",
                "--justification",
                "code_not_reachable",
                "--reason",
                "no HTTP/2 server",
            ],
        ),
        "set",
    );
    ok(
        &triage(
            &a,
            &[
                "set",
                "CVE-2024-45491",
                "--package",
                "libexpat1",
                "--release",
                "5.3.3",
                "--state",
                "accepted",
                "--reason",
                "own XML",
                "--expires",
                "2027-01-01",
                "--approver",
                "cto",
            ],
        ),
        "set",
    );
    for format in ["openvex", "cyclonedx-vex"] {
        let first = dir.path().join(format!("{format}.json"));
        ok(
            &triage(
                &a,
                &[
                    "export",
                    "--format",
                    format,
                    "--output",
                    first.to_str().expect("utf-8"),
                ],
            ),
            "export",
        );
        let b = b.with_extension(format);
        let imported = ok(
            &triage(&b, &["import", first.to_str().expect("utf-8")]),
            "import",
        );
        assert!(
            imported.contains("2 record(s), 2 created or changed"),
            "{imported}"
        );
        let second = ok(&triage(&b, &["export", "--format", format]), "export again");
        assert_eq!(
            std::fs::read_to_string(&first).expect("read"),
            second,
            "{format}"
        );
    }
    fails(
        &triage(
            &dir.path().join("empty.db"),
            &["export", "--format", "openvex"],
        ),
        "no triage records to export",
    );
}

/// A scan with `--store` applies the store's triage: the accepted finding is `suppressed`
/// with the reason and expiry.
#[test]
fn scan_with_store_shows_the_suppression() {
    let image = shared().join("data/images/alpine-3.7.3-minirootfs.tar.gz");
    let dir = tempfile::tempdir().expect("tmp");
    let store = dir.path().join("h.db");
    let scan = || {
        drydock()
            .arg("image")
            .arg(&image)
            .arg("--db")
            .arg(crate::scan::db())
            .args(["--format", "json", "--store"])
            .arg(&store)
            .env("SOURCE_DATE_EPOCH", NOW)
            .current_dir(dir.path())
            .output()
            .expect("run drydock image")
    };
    let report: serde_json::Value = serde_json::from_slice(&scan().stdout).expect("JSON");
    let f = report["targets"][0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["verdict"] == "report" || f["verdict"] == "fail")
        .cloned()
        .expect("a reported finding");
    let (id, pkg) = (
        f["id"].as_str().expect("id"),
        f["package"].as_str().expect("package"),
    );
    let repo = ok(
        &triage(
            &store,
            &[
                "set",
                id,
                "--package",
                pkg,
                "--all",
                "--state",
                "accepted",
                "--reason",
                "not exposed",
                "--expires",
                "2026-09-01",
            ],
        ),
        "set",
    );
    assert!(repo.contains("created"));
    let report: serde_json::Value = serde_json::from_slice(&scan().stdout).expect("JSON");
    let same = report["targets"][0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|x| x["id"] == id && x["package"] == pkg)
        .cloned()
        .expect("the finding");
    assert_eq!(same["verdict"], "suppressed", "{same}");
    assert_eq!(same["suppressed_by"], "triage #1");
    assert_eq!(same["expires"], "2026-09-01");
    assert!(
        same["reason"]
            .as_str()
            .is_some_and(|r| r.contains("not exposed"))
    );
}
