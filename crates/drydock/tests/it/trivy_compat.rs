//! Issue 13: the scanner as a Trivy user meets it. Trivy's CI lines with the binary name
//! changed, the report grouped by source, honest coverage, short errors and plain logs, help
//! texts, `drydock version`, and SBOMs as scan targets.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::scan::db;
use crate::{assert_success, corpus, drydock, shared, stdout, stdout_json};

fn alpine373() -> PathBuf {
    shared().join("data/images/alpine-3.7.3-minirootfs.tar.gz")
}

fn run(args: &[&str]) -> Output {
    drydock()
        .args(args)
        .env("DRYDOCK_DB", db())
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .current_dir(std::env::temp_dir())
        .output()
        .expect("run drydock")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A run that must fail with exit status 2 and exactly one `drydock: error:` line naming
/// `needle`.
#[track_caller]
fn one_error_line(out: &Output, needle: &str) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {err}");
    assert!(lines[0].starts_with("drydock: error: "), "{err}");
    assert!(lines[0].contains(needle), "`{needle}` in: {err}");
    err
}

// ---- errors, logs, help, version ----

#[test]
fn usage_errors_are_one_line_with_one_prefix() {
    let a = alpine373();
    let a = a.to_str().expect("UTF-8 path");
    let err = one_error_line(&run(&["image", a, "--no-such-flag"]), "--no-such-flag");
    assert!(err.contains("drydock image --help"), "{err}");
    // With DRYDOCK_DB set, nothing suggests `--db` is required.
    assert!(!err.contains("--db <PATH>"), "{err}");
    one_error_line(&run(&["image"]), "TARGET");
    one_error_line(
        &run(&["image", a, "--format", "nope"]),
        "unknown format `nope`",
    );
}

#[test]
fn logs_on_a_file_carry_no_colour_codes_and_debug_is_vv() {
    let dir = tempfile::tempdir().expect("temp dir");
    let build = |flag: &str| {
        drydock()
            .args([flag, "db", "build", "--feeds"])
            .arg(shared().join("data/advisories"))
            .arg("--db")
            .arg(dir.path().join("d.db"))
            .env_remove("NO_COLOR")
            .output()
            .expect("run drydock db build")
    };
    let debug = build("--debug");
    assert_success(&debug, "drydock --debug db build");
    let err = stderr(&debug);
    assert!(err.contains("INFO"), "--debug logs info and debug lines: {err}");
    assert!(!err.contains('\x1b'), "no ANSI codes in a log file: {err:?}");
    let vv = build("-vv");
    let levels = |s: &str| -> Vec<String> {
        s.lines()
            .filter_map(|l| l.split_whitespace().next().map(str::to_string))
            .collect()
    };
    assert_eq!(levels(&err), levels(&stderr(&vv)), "--debug is -vv");
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let mut child = drydock()
        .args(["sbom"])
        .arg(alpine373())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run drydock");
    // `| head -1`: read one byte, then close the pipe.
    let mut out = child.stdout.take().expect("stdout");
    let mut one = [0u8; 1];
    out.read_exact(&mut one).expect("some output");
    drop(out);
    let mut err = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .expect("stderr");
    let status = child.wait().expect("wait");
    assert!(status.success(), "{status}: {err}");
    assert!(!err.contains("Broken pipe"), "{err}");
}

#[test]
fn version_prints_version_commit_and_db_age() {
    for args in [&["version"][..], &["--version"][..]] {
        let out = run(args);
        let text = stdout(&out, "drydock version");
        assert!(
            text.starts_with(&format!("drydock {} (commit ", env!("CARGO_PKG_VERSION"))),
            "{text}"
        );
        assert!(text.contains("DB built "), "{text}");
        assert!(text.contains(" ago"), "{text}");
    }
    // The comparisons are still there.
    let out = run(&["version", "cmp", "deb", "1.0~rc1-1", "1.0-1"]);
    assert_eq!(stdout(&out, "version cmp").trim(), "<");
}

#[test]
fn help_texts_have_examples_and_only_what_is_accepted() {
    let help = |args: &[&str]| stdout(&run(args), &args.join(" "));
    let sbom = help(&["sbom", "--help"]);
    assert!(sbom.contains("cyclonedx") && sbom.contains("spdx-json"));
    for absent in ["sarif", "markdown", "junit", "csv"] {
        assert!(
            !sbom.contains(absent),
            "`sbom --help` offers `{absent}`: {sbom}"
        );
    }
    for sub in [
        &["db", "build", "--help"][..],
        &["db", "update", "--help"],
        &["db", "status", "--help"],
        &["version", "--help"],
    ] {
        assert!(help(sub).contains("Examples:"), "{sub:?}");
    }
}

#[test]
fn db_build_sums_up_skipped_records_in_one_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let build = |extra: &[&str]| {
        drydock()
            .args(extra)
            .args(["db", "build", "--feeds"])
            .arg(shared().join("data/advisories"))
            .arg("--db")
            .arg(dir.path().join("d.db"))
            .output()
            .expect("run drydock db build")
    };
    let out = build(&[]);
    assert_success(&out, "db build");
    let err = stderr(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains("skipped `"),
        "no skip list on stdout: {text}"
    );
    let summary: Vec<&str> = err.lines().filter(|l| l.contains("skipped")).collect();
    assert!(summary.len() <= 1, "one summary line: {err}");
    if let [line] = summary.as_slice() {
        assert!(line.contains("-v lists them"), "{line}");
        let quiet = build(&["-q"]);
        assert_success(&quiet, "db build -q");
        assert_eq!(stderr(&quiet), "", "-q silences the summary");
        let verbose = build(&["-v"]);
        assert!(
            stderr(&verbose)
                .lines()
                .filter(|l| l.contains("skipped: "))
                .count()
                >= 1
        );
    }
    let missing = drydock()
        .args(["db", "build", "--feeds", "/nonexistent/feeds", "--db"])
        .arg(dir.path().join("e.db"))
        .output()
        .expect("run");
    one_error_line(&missing, "no such file or directory");
}

// ---- registry errors ----

#[test]
fn an_unreachable_registry_fails_at_once_and_says_offline() {
    // Port 1 on loopback: nothing listens, the connection is refused.
    let out = run(&["image", "127.0.0.1:1/app:1"]);
    let err = one_error_line(&out, "cannot reach `127.0.0.1:1` (offline?)");
    assert!(!err.contains("retrying"), "{err}");
    // A name that cannot resolve.
    let out = run(&["image", "registry.invalid/app:1"]);
    let err = one_error_line(&out, "cannot reach `registry.invalid` (offline?)");
    assert!(!err.contains("retrying"), "{err}");
}

// ---- formats ----

#[test]
fn format_template_with_trivys_sarif_template_writes_sarif() {
    let a = alpine373();
    let a = a.to_str().expect("UTF-8 path");
    let out = run(&[
        "image",
        a,
        "--format",
        "template",
        "--template",
        "@contrib/sarif.tpl",
    ]);
    let sarif = stdout_json(&out, "--format template");
    assert_eq!(sarif["version"], "2.1.0");
    let out = run(&[
        "image",
        a,
        "--format",
        "template",
        "--template",
        "@contrib/gitlab.tpl",
    ]);
    let err = one_error_line(&out, "no template engine");
    assert!(err.contains("sarif") && err.contains("trivy-json"), "{err}");
}

#[test]
fn trivy_json_has_trivys_shape() {
    let a = alpine373();
    let out = run(&[
        "image",
        a.to_str().expect("UTF-8 path"),
        "--format",
        "trivy-json",
    ]);
    let v = stdout_json(&out, "--format trivy-json");
    assert_eq!(v["SchemaVersion"], 2);
    let ids: Vec<&str> = v["Results"]
        .as_array()
        .expect("Results")
        .iter()
        .flat_map(|r| r["Vulnerabilities"].as_array().into_iter().flatten())
        .filter_map(|x| x["VulnerabilityID"].as_str())
        .collect();
    assert_eq!(ids, ["CVE-2019-14697", "CVE-2019-14697"]);
    assert_eq!(v["Results"][0]["Class"], "os-pkgs");
}

/// The corpus image as a docker-archive, when built.
#[allow(dead_code)]
fn corpus_archive() -> Option<PathBuf> {
    corpus().map(|c| c.join("debian-app/docker-archive.tar"))
}

#[allow(dead_code)]
fn ids_of(report: &serde_json::Value) -> Vec<(String, String, String)> {
    let mut v: Vec<(String, String, String)> = report["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|t| t["findings"].as_array().into_iter().flatten())
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            (s("package"), s("installed"), s("id"))
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

#[allow(dead_code)]
fn scan_json(target: &Path, extra: &[&str]) -> serde_json::Value {
    let out = drydock()
        .arg("image")
        .arg(target)
        .args(["--format", "json"])
        .args(extra)
        .env("DRYDOCK_DB", db())
        .output()
        .expect("run drydock");
    stdout_json(&out, "drydock image")
}

#[allow(dead_code)]
fn command_exists(c: &str) -> bool {
    Command::new(c).arg("--version").output().is_ok()
}
