//! `drydock config`: Dockerfiles and images through the CLI, the policy (ignore files,
//! `--fail-on`, triage) and gate of the scan commands, every report format, bad input, and a
//! differential check against Trivy's Dockerfile checks on the fixtures of drydock-misconfig.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::{assert_success, drydock, peer, stdout};

/// The fixtures made by drydock-misconfig's committed script, built once per run.
pub(crate) fn fixtures() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("cli-misconfig-fixtures-{}", std::process::id()));
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../drydock-misconfig/tests/fixtures/make_fixtures.py");
        let st = Command::new("python3")
            .arg(&script)
            .arg(&out)
            .status()
            .expect("python3 runs the fixture script");
        assert!(st.success(), "make_fixtures.py: {st}");
        out
    })
}

pub(crate) fn expected() -> BTreeMap<String, BTreeSet<String>> {
    let text = std::fs::read_to_string(fixtures().join("expected.json")).expect("expected.json");
    serde_json::from_str(&text).expect("expected.json parses")
}

/// `drydock config ARGS --format json`, run in an empty directory (no ignore file is found).
fn json(args: &[&str]) -> serde_json::Value {
    let cwd = tempfile::tempdir().expect("tempdir");
    let out = drydock()
        .arg("config")
        .args(args)
        .args(["--format", "json"])
        .current_dir(cwd.path())
        .output()
        .expect("run drydock");
    serde_json::from_str(&stdout(&out, "drydock config")).expect("JSON output")
}

/// Every misconfiguration and secret of a report, over its targets.
pub(crate) fn entries(v: &serde_json::Value) -> Vec<&serde_json::Value> {
    v["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .flat_map(|t| {
            ["misconfigurations", "secrets"]
                .into_iter()
                .flat_map(move |k| t[k].as_array().into_iter().flatten())
        })
        .collect()
}

/// `drydock config DIR` finds every fixture Dockerfile; per file, exactly the expected ids.
#[test]
fn config_on_a_directory() {
    let dir = fixtures().join("dockerfiles");
    let v = json(&[dir.to_str().expect("utf-8 path")]);
    let mut got: BTreeMap<String, BTreeSet<String>> = expected()
        .keys()
        .map(|k| (k.clone(), BTreeSet::new()))
        .collect();
    for f in entries(&v) {
        let path = f["evidence"]["path"].as_str().expect("a Dockerfile path");
        let name = Path::new(path)
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".Dockerfile"))
            .expect("fixture name");
        got.entry(name.to_string())
            .or_default()
            .insert(f["id"].as_str().expect("id").to_string());
    }
    assert_eq!(got, expected());
}

/// `--image`: the hidden key is reported CRITICAL with its layer; values are masked; the
/// gate exits with `--exit-code` only when findings remain after `--severity`.
#[test]
fn config_on_images_and_the_gate() {
    let bad = fixtures().join("images/bad/docker-archive.tar");
    let clean = fixtures().join("images/clean/oci");
    let v = json(&["--image", bad.to_str().expect("utf-8")]);
    let text = v.to_string();
    assert!(!text.contains("AKIAIOSFODNN7EXAMPLE"), "{text}");
    let hidden: Vec<&serde_json::Value> = entries(&v)
        .into_iter()
        .filter(|f| f["id"] == "DD-306")
        .collect();
    assert_eq!(hidden.len(), 1, "{text}");
    assert_eq!(hidden[0]["severity"], "CRITICAL");
    assert_eq!(hidden[0]["evidence"]["layer"], 1);
    assert_eq!(hidden[0]["evidence"]["path"], "root/.ssh/id_ed25519");

    let gate = |image: &Path| {
        drydock()
            .args(["config", "--image"])
            .arg(image)
            .args(["--severity", "CRITICAL", "--exit-code", "3"])
            .output()
            .expect("run")
            .status
            .code()
    };
    assert_eq!(gate(&bad), Some(3));
    assert_eq!(gate(&clean), Some(0));
    let v = json(&[
        "--image",
        bad.to_str().expect("utf-8"),
        "--scanners",
        "misconfig",
    ]);
    assert!(
        entries(&v)
            .iter()
            .all(|f| !["DD-105", "DD-106", "DD-107", "DD-305", "DD-306"]
                .contains(&f["id"].as_str().unwrap_or_default())),
        "{v}"
    );
}

/// Bad input is one clear error line and exit code 2.
#[test]
fn config_bad_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases: [(&str, &[u8], &str); 3] = [
        (
            "heredoc",
            b"FROM a\nRUN <<EOF\necho\n",
            "heredoc `<<EOF` is never terminated",
        ),
        ("binary", b"\x7fELF\x02\x01\x00\x00", "not a text file"),
        ("empty", b"# only a comment\n", "no instructions"),
    ];
    for (name, bytes, msg) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).expect("write");
        let out = drydock().arg("config").arg(&p).output().expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(
            err.contains(msg) && err.lines().count() == 1,
            "{name}: {err}"
        );
    }
    let out = drydock().arg("config").output().expect("run");
    assert_eq!(out.status.code(), Some(2));
}

/// Differential: where a Trivy check means the same thing as ours, it fires on exactly the
/// same fixtures. (Trivy's DS-0031 is wider than DD-105 and is compared in the docs.)
#[test]
fn same_verdicts_as_trivy_where_checks_agree() {
    let Some(trivy) = peer("trivy") else { return };
    let cache = tempfile::tempdir().expect("tempdir");
    let out = Command::new(trivy)
        .args([
            "config",
            "--quiet",
            "--skip-check-update",
            "--format",
            "json",
            "--cache-dir",
        ])
        .arg(cache.path())
        .arg(fixtures().join("dockerfiles"))
        .output()
        .expect("run trivy");
    let v: serde_json::Value = serde_json::from_str(&stdout(&out, "trivy config")).expect("json");
    let mut theirs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in v["Results"].as_array().into_iter().flatten() {
        let name = r["Target"]
            .as_str()
            .and_then(|t| t.rsplit('/').next())
            .and_then(|t| t.strip_suffix(".Dockerfile"))
            .expect("fixture target")
            .to_string();
        for m in r["Misconfigurations"].as_array().into_iter().flatten() {
            theirs
                .entry(name.clone())
                .or_default()
                .insert(m["ID"].as_str().expect("ID").to_string());
        }
    }
    let pairs = [
        ("DD-101", "DS-0002"),
        ("DD-102", "DS-0026"),
        ("DD-103", "DS-0004"),
        ("DD-201", "DS-0001"),
        ("DD-203", "DS-0009"),
        ("DD-205", "DS-0006"),
        ("DD-207", "DS-0008"),
    ];
    let mut diffs = Vec::new();
    for (name, ours) in expected() {
        let t = theirs.get(&name).cloned().unwrap_or_default();
        for (dd, ds) in pairs {
            if ours.contains(dd) != t.contains(ds) {
                diffs.push(format!(
                    "{name}: {dd}={} {ds}={}",
                    ours.contains(dd),
                    t.contains(ds)
                ));
            }
        }
    }
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
    assert!(theirs.len() > 10, "Trivy found too little: {theirs:?}");
}

/// A Dockerfile of the test's own in `dir`: a root user (DD-101, HIGH) and a script piped
/// into a shell (DD-109, MEDIUM). Returns its path and the line of each.
fn own_dockerfile(dir: &Path) -> (PathBuf, usize, usize) {
    let text = "FROM alpine:3.19\nUSER root\nHEALTHCHECK NONE\nRUN curl -fsSL https://get.example.com/i.sh | sh\n";
    let path = dir.join("Dockerfile");
    std::fs::write(&path, text).expect("write the Dockerfile");
    let line = |needle: &str| 1 + text.lines().position(|l| l.contains(needle)).expect(needle);
    (path, line("USER root"), line("| sh"))
}

/// `drydock config ARGS` run in `dir` (where the default ignore files are looked up).
fn config_in(dir: &Path, args: &[&str]) -> std::process::Output {
    drydock()
        .arg("config")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run drydock config")
}

fn config_json_in(dir: &Path, args: &[&str]) -> serde_json::Value {
    let out = config_in(dir, &[args, &["--format", "json"]].concat());
    serde_json::from_str(&stdout(&out, "drydock config")).expect("JSON output")
}

/// The one entry with check id `id`.
fn entry<'a>(v: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    let found: Vec<_> = entries(v).into_iter().filter(|e| e["id"] == id).collect();
    assert_eq!(found.len(), 1, "one {id} in {v}");
    found[0]
}

/// The ignore file of the scan commands applies to `drydock config`: a `.drydockignore.yaml`
/// entry by our check id, `.trivyignore` lines by Trivy's id (found in the working directory
/// without `--ignore-file`, as `image` and `fs` find it) and a fingerprint-narrowed entry each
/// suppress exactly their finding, and none is reported unused.
#[test]
fn config_ignore_files_suppress_by_our_id_and_trivys() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (df, _, _) = own_dockerfile(dir.path());
    let df = df.to_str().expect("utf-8");
    let v = config_json_in(dir.path(), &[df]);
    assert_eq!(entry(&v, "DD-101")["verdict"], "fail", "{v}");
    assert_eq!(entry(&v, "DD-109")["verdict"], "fail", "{v}");
    let fingerprint = entry(&v, "DD-109")["fingerprint"]
        .as_str()
        .expect("fingerprint")
        .to_string();

    let suppressed = |v: &serde_json::Value, id: &str, reason: &str| {
        let e = entry(v, id);
        assert_eq!(e["verdict"], "suppressed", "{e}");
        assert_eq!(e["reason"], reason, "{e}");
        let notices = v["policy_notices"].to_string();
        assert!(!notices.contains("matches no finding"), "{notices}");
    };
    // Our id, in a drydock ignore file named by --ignore-file.
    let ours = dir.path().join("ours.yaml");
    std::fs::write(
        &ours,
        "ignore:\n  - id: DD-101\n    reason: \"the entrypoint drops privileges\"\n    expires: 2099-12-31\n",
    )
    .expect("write");
    let v = config_json_in(dir.path(), &[df, "--ignore-file", "ours.yaml"]);
    suppressed(&v, "DD-101", "the entrypoint drops privileges");
    assert_eq!(entry(&v, "DD-109")["verdict"], "fail");
    // Trivy's ids, from the working directory's `.trivyignore` with no flag.
    for trivy_id in ["DS002", "AVD-DS-0002"] {
        std::fs::write(
            dir.path().join(".trivyignore"),
            format!("# root until the base image has a user\n{trivy_id}\n"),
        )
        .expect("write");
        let v = config_json_in(dir.path(), &[df]);
        suppressed(&v, "DD-101", "root until the base image has a user");
        assert_eq!(entry(&v, "DD-109")["verdict"], "fail");
    }
    std::fs::remove_file(dir.path().join(".trivyignore")).expect("rm");
    // A fingerprint-narrowed entry: that one finding.
    std::fs::write(
        &ours,
        format!(
            "ignore:\n  - id: DD-109\n    fingerprint: {fingerprint}\n    reason: \"pinned by the proxy\"\n    expires: 2099-12-31\n"
        ),
    )
    .expect("write");
    let v = config_json_in(dir.path(), &[df, "--ignore-file", "ours.yaml"]);
    suppressed(&v, "DD-109", "pinned by the proxy");
    assert_eq!(entry(&v, "DD-101")["verdict"], "fail");
    // An entry that matches nothing is reported unused, as by the other scans.
    std::fs::write(
        &ours,
        "ignore:\n  - id: DD-999\n    reason: \"no such check\"\n    expires: 2099-12-31\n",
    )
    .expect("write");
    let v = config_json_in(dir.path(), &[df, "--ignore-file", "ours.yaml"]);
    assert!(
        v["policy_notices"]
            .as_array()
            .expect("policy_notices")
            .iter()
            .any(|n| n["id"] == "DD-999" && n["kind"] == "unused"),
        "{v}"
    );
}

/// `--fail-on HIGH` exits 1 on the HIGH root-user check and 0 once an ignore entry
/// suppresses it; `--exit-code` alone fails on any reported finding; `--severity` leaves
/// the others out of the gate. The JSON carries the gate.
#[test]
fn config_fail_on_and_exit_code() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (df, _, _) = own_dockerfile(dir.path());
    let df = df.to_str().expect("utf-8");
    // The premise, from the report: DD-101 is the only finding at HIGH or above.
    let v = config_json_in(dir.path(), &[df]);
    let high: BTreeSet<&str> = entries(&v)
        .iter()
        .filter(|e| matches!(e["severity"].as_str(), Some("HIGH" | "CRITICAL")))
        .filter_map(|e| e["id"].as_str())
        .collect();
    assert_eq!(high, BTreeSet::from(["DD-101"]), "{v}");
    assert!(entries(&v).len() > 1, "{v}");

    let code = |args: &[&str]| {
        config_in(dir.path(), &[&[df][..], args].concat())
            .status
            .code()
    };
    assert_eq!(code(&["--fail-on", "HIGH"]), Some(1));
    assert_eq!(code(&["--fail-on", "CRITICAL"]), Some(0));
    assert_eq!(code(&["--fail-on", "HIGH", "--exit-code", "5"]), Some(5));
    assert_eq!(code(&["--exit-code", "4"]), Some(4));
    assert_eq!(
        code(&["--severity", "CRITICAL", "--exit-code", "4"]),
        Some(0)
    );
    assert_eq!(code(&[]), Some(0), "no gate asked for");
    // The JSON of a run whose gate failed (exit 1): still the whole report.
    let gate_json = || {
        let out = config_in(dir.path(), &[df, "--fail-on", "HIGH", "--format", "json"]);
        serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("JSON output")
    };
    let v = gate_json();
    assert_eq!(v["gate"]["failed"], true, "{v}");
    assert_eq!(v["gate"]["counted"], 1, "{v}");

    std::fs::write(dir.path().join(".trivyignore"), "DS002\n").expect("write");
    assert_eq!(code(&["--fail-on", "HIGH"]), Some(0));
    let v = gate_json();
    assert_eq!(v["gate"]["failed"], false, "{v}");
    // The rest still fail a gate without --fail-on.
    assert_eq!(code(&["--exit-code", "4"]), Some(4));
}

/// Every format the scan commands write misconfigurations in, to `--output`: each names both
/// checks; the SARIF results point at the Dockerfile and the check's line. SPDX (packages
/// only) is refused with the list of formats.
#[test]
fn config_writes_every_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (df, root_line, curl_line) = own_dockerfile(dir.path());
    let df = df.to_str().expect("utf-8");
    for format in [
        "table",
        "json",
        "sarif",
        "cyclonedx",
        "csv",
        "markdown",
        "html",
        "junit",
        "trivy-json",
    ] {
        let file = dir.path().join(format!("report.{format}"));
        let out = config_in(
            dir.path(),
            &[
                df,
                "--format",
                format,
                "--output",
                file.to_str().expect("utf-8"),
            ],
        );
        assert_success(&out, &format!("drydock config --format {format}"));
        assert!(out.stdout.is_empty(), "{format}: --output, not stdout");
        let text = std::fs::read_to_string(&file).expect("the report file");
        for id in ["DD-101", "DD-109"] {
            assert!(text.contains(id), "{format} without {id}: {text}");
        }
        if format == "table" {
            // A Dockerfile has no packages: no vulnerability count line above its checks.
            assert!(!text.contains("Total: 0"), "{text}");
        }
        if format != "table" && format != "csv" && format != "markdown" {
            assert!(
                format == "html"
                    || format == "junit"
                    || serde_json::from_str::<serde_json::Value>(&text).is_ok(),
                "{format} is not JSON"
            );
        }
    }
    let sarif: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("report.sarif")).expect("sarif"),
    )
    .expect("SARIF JSON");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    for (id, line) in [("DD-101", root_line), ("DD-109", curl_line)] {
        let r = results
            .iter()
            .find(|r| r["ruleId"] == id)
            .unwrap_or_else(|| panic!("a {id} result in {sarif}"));
        let loc = &r["locations"][0]["physicalLocation"];
        assert!(
            loc["artifactLocation"]["uri"]
                .as_str()
                .is_some_and(|u| u.ends_with("/Dockerfile")),
            "{r}"
        );
        assert_eq!(
            loc["region"]["startLine"].as_u64(),
            Some(line as u64),
            "{r}"
        );
    }
    let out = config_in(dir.path(), &[df, "--format", "spdx-json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sarif"));
}

/// `--store`: a triage record naming the check and the finding's fingerprint suppresses
/// that finding in `drydock config`, as in `drydock image`.
#[test]
fn config_applies_store_triage() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (df, _, _) = own_dockerfile(dir.path());
    let df = df.to_str().expect("utf-8");
    let store = dir.path().join("h.db");
    let store = store.to_str().expect("utf-8");
    let v = config_json_in(dir.path(), &[df, "--store", store]);
    let fingerprint = entry(&v, "DD-109")["fingerprint"]
        .as_str()
        .expect("fingerprint")
        .to_string();
    let out = drydock()
        .args([
            "triage",
            "set",
            "DD-109",
            "--package",
            &fingerprint,
            "--all",
        ])
        .args([
            "--state",
            "accepted",
            "--reason",
            "the proxy pins the script",
        ])
        .args(["--expires", "2099-01-01", "--store", store])
        .env("DRYDOCK_USER", "alice")
        .output()
        .expect("run drydock triage set");
    assert_success(&out, "drydock triage set");
    let v = config_json_in(dir.path(), &[df, "--store", store]);
    let e = entry(&v, "DD-109");
    assert_eq!(e["verdict"], "suppressed", "{e}");
    assert_eq!(e["suppressed_by"], "triage #1", "{e}");
    assert_eq!(entry(&v, "DD-101")["verdict"], "fail");
}

/// `drydock fs` given a Dockerfile checks it as `drydock config` does (same findings and
/// fingerprints); without a check scanner, and for a file that is neither a Dockerfile nor an
/// image, it says what to run instead of reporting a truncated archive.
#[test]
fn fs_takes_a_single_dockerfile() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (df, _, curl_line) = own_dockerfile(dir.path());
    let fs = |target: &Path, args: &[&str]| {
        drydock()
            .arg("fs")
            .arg(target)
            .arg("--db")
            .arg(crate::scan::db())
            .args(args)
            .current_dir(dir.path())
            .output()
            .expect("run drydock fs")
    };
    let key = |v: &serde_json::Value| -> BTreeSet<(String, String)> {
        entries(v)
            .iter()
            .map(|e| (e["id"].to_string(), e["fingerprint"].to_string()))
            .collect()
    };
    let out = fs(
        &df,
        &[
            "--scanners",
            "misconfig,secret",
            "--format",
            "json",
            "--fail-on",
            "HIGH",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let alone = config_json_in(dir.path(), &[df.to_str().expect("utf-8")]);
    assert!(!key(&v).is_empty());
    assert_eq!(key(&v), key(&alone));
    assert_eq!(entry(&v, "DD-109")["evidence"]["line"], curl_line, "{v}");

    let out = fs(&df, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--scanners misconfig")
            && err.contains("drydock config")
            && !err.contains("truncated"),
        "{err}"
    );
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "not a Dockerfile\n").expect("write");
    let out = fs(&notes, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("is a file, not a directory") && err.lines().count() == 1,
        "{err}"
    );
}
