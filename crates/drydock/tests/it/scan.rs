//! `drydock image` / `drydock fs`: findings on real images with a DB built from the shared
//! feeds, the CI gate, formats, and errors.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::{assert_success, drydock, shared, stdout, stdout_json};

/// A DB built once per test run from `../shared/data/advisories` with `drydock db build`.
pub fn db() -> &'static Path {
    static DB: OnceLock<PathBuf> = OnceLock::new();
    DB.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("drydock-it-db-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let path = dir.join("drydock.db");
        let out = drydock()
            .args(["db", "build", "--feeds"])
            .arg(shared().join("data/advisories"))
            .arg("--db")
            .arg(&path)
            .output()
            .expect("run drydock db build");
        assert_success(&out, "drydock db build");
        path
    })
}

fn scan(cmd: &str, target: &Path, extra: &[&str]) -> std::process::Output {
    drydock()
        .arg(cmd)
        .arg(target)
        .arg("--db")
        .arg(db())
        .args(extra)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .current_dir(std::env::temp_dir())
        .output()
        .expect("run drydock")
}

fn scan_json(target: &Path, extra: &[&str]) -> serde_json::Value {
    let out = scan("image", target, &[&["--format", "json"], extra].concat());
    stdout_json(&out, "drydock image")
}

fn alpine373() -> PathBuf {
    shared().join("data/images/alpine-3.7.3-minirootfs.tar.gz")
}

/// Issue 6, must-show 1: exactly CVE-2019-14697 for musl and musl-utils, with NVD's CVSS.
#[test]
fn alpine_373_has_exactly_cve_2019_14697() {
    let report = scan_json(&alpine373(), &[]);
    let findings = report["targets"][0]["findings"]
        .as_array()
        .expect("findings");
    let got: Vec<(String, String)> = findings
        .iter()
        .map(|f| {
            (
                f["package"].as_str().unwrap_or_default().to_string(),
                f["id"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("musl".to_string(), "CVE-2019-14697".to_string()),
            ("musl-utils".to_string(), "CVE-2019-14697".to_string())
        ]
    );
    // The severity and vector NVD states for the CVE, read from the feed itself.
    let cve = crate::nvd_cve("CVE-2019-14697");
    let v31 = &cve["metrics"]["cvssMetricV31"][0]["cvssData"];
    for f in findings {
        assert_eq!(f["installed"], "1.1.18-r3");
        assert_eq!(f["fixed"], "1.1.18-r4");
        assert_eq!(f["status"], "fixed");
        assert_eq!(f["severity"], v31["baseSeverity"]);
        let scores = f["cvss"].as_array().expect("cvss");
        assert!(
            scores
                .iter()
                .any(|s| s["vector"] == v31["vectorString"] && s["base_score"] == v31["baseScore"]),
            "NVD's v3.1 vector and score in {scores:?}"
        );
        assert!(f["fingerprint"].as_str().is_some_and(|s| s.len() == 32));
    }
}

#[test]
fn alpine_310_has_no_finding() {
    let report = scan_json(
        &shared().join("data/images/alpine-3.10.docker-archive.tar.gz"),
        &[],
    );
    assert_eq!(
        report["targets"][0]["packages"].as_array().map(Vec::len),
        Some(14)
    );
    assert_eq!(
        report["targets"][0]["findings"].as_array().map(Vec::len),
        Some(0)
    );
}

#[test]
fn gate_exit_codes() {
    let code = |extra: &[&str]| scan("image", &alpine373(), extra).status.code();
    assert_eq!(code(&[]), Some(0), "no gate asked for");
    assert_eq!(code(&["--exit-code", "3"]), Some(3));
    assert_eq!(code(&["--fail-on", "CRITICAL"]), Some(1));
    assert_eq!(
        code(&["--fail-on", "critical", "--exit-code", "5"]),
        Some(5)
    );
    assert_eq!(
        code(&["--severity", "LOW,MEDIUM", "--exit-code", "1"]),
        Some(0),
        "filtered findings do not fail"
    );
    assert_eq!(
        code(&["--ignore-unfixed", "--exit-code", "1"]),
        Some(1),
        "the fix exists"
    );
    assert_eq!(code(&["--fixable-only", "--exit-code", "1"]), Some(1));
}

/// `--fail-on` fails only at or above the threshold while the report shows everything.
#[test]
fn fail_on_reports_everything() {
    let out = scan(
        "image",
        &alpine373(),
        &[
            "--format",
            "json",
            "--severity",
            "CRITICAL",
            "--fail-on",
            "CRITICAL",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["gate"]["failed"], true);
    assert_eq!(report["gate"]["counted"], 2);
    let verdicts: Vec<&str> = report["targets"][0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["verdict"].as_str())
        .collect();
    assert_eq!(verdicts, vec!["fail", "fail"]);
}

#[test]
fn ignore_file_suppresses_and_reports_expired() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let ignore = tmp.path().join("ignore.yaml");
    // `drydock image` of Alpine 3.7.3 with an ignore file holding `text`.
    let scan_ignoring = |text: &str, extra: &[&str]| {
        std::fs::write(&ignore, text).expect("write");
        let file = ignore.to_str().expect("utf-8");
        scan(
            "image",
            &alpine373(),
            &[&["--ignore-file", file], extra].concat(),
        )
    };
    let out = scan_ignoring(
        "ignore:\n  - id: CVE-2019-14697\n    package: musl-utils\n    reason: musl-utils is not used at runtime\n    expires: 2999-01-01\n  - id: CVE-2000-0001\n    reason: old\n    expires: 2001-01-01\n",
        &["--format", "json", "--exit-code", "1"],
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(out.status.code(), Some(1), "musl itself still fails");
    let findings = report["targets"][0]["findings"]
        .as_array()
        .expect("findings");
    let utils = findings
        .iter()
        .find(|f| f["package"] == "musl-utils")
        .expect("kept in JSON");
    assert_eq!(utils["verdict"], "suppressed");
    assert_eq!(utils["reason"], "musl-utils is not used at runtime");
    let notices = report["policy_notices"].as_array().expect("notices");
    assert!(
        notices.iter().any(|n| n["id"] == "CVE-2000-0001"),
        "{notices:?}"
    );
    // Without a reason: an error naming the file, exit 2.
    let out = scan_ignoring(
        "ignore:\n  - id: CVE-2019-14697\n    expires: 2999-01-01\n",
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ignore.yaml"));
}

#[test]
fn several_formats_at_once() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let json = tmp.path().join("out.json");
    let sarif = tmp.path().join("out.sarif");
    let out = scan(
        "image",
        &alpine373(),
        &[
            "--format",
            &format!("json={}", json.display()),
            "--format",
            &format!("sarif={}", sarif.display()),
            "--format",
            "table",
        ],
    );
    assert_success(&out, "drydock image");
    assert!(String::from_utf8_lossy(&out.stdout).contains("CVE-2019-14697"));
    let j: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).expect("json written")).expect("json");
    assert_eq!(j["kind"], "vulnerability");
    let s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&sarif).expect("sarif written")).expect("sarif");
    assert_eq!(s["version"], "2.1.0");
}

#[test]
fn usage_errors_exit_2() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = scan("image", tmp.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("drydock fs"));
    let out = drydock()
        .args(["image"])
        .arg(alpine373())
        .args(["--db", "/nonexistent/drydock.db"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("db build"));
    let out = scan("image", &alpine373(), &["--format", "yaml"]);
    assert_eq!(out.status.code(), Some(2));
    let out = scan("image", &alpine373(), &["--severity", "SEVERE"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn scan_snapshots() {
    // Run from the image's directory so the target name (the path given) is stable.
    let run = |fmt: &str| {
        let out = drydock()
            .args([
                "image",
                "alpine-3.7.3-minirootfs.tar.gz",
                "--format",
                fmt,
                "--db",
            ])
            .arg(db())
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .current_dir(shared().join("data/images"))
            .output()
            .expect("run drydock");
        stdout(&out, "drydock image")
    };
    let version = env!("CARGO_PKG_VERSION");
    insta::with_settings!({filters => vec![(version, "[VERSION]")]}, {
        insta::assert_snapshot!("image_alpine373_table", run("table"));
        insta::assert_snapshot!("image_alpine373_json", run("json"));
    });
}

/// Issue 6, must-show 3: the corpus image end to end, and the same findings as Trivy given a
/// Trivy DB built from the same feeds (`../shared/peers/trivy-db.sh`, `DRYDOCK_TRIVY_CACHE`).
/// A Trivy finding matches a drydock finding when the package name is the same and Trivy's id
/// is drydock's id or one of its aliases (Trivy names a vulnerability by its first CVE alias,
/// drydock by the record that matched, with every alias listed).
#[test]
fn corpus_findings_equal_trivy() {
    let Some(corpus) = crate::corpus() else {
        return;
    };
    let oci = corpus.join("debian-app/oci");
    let report = scan_json(&oci, &[]);
    let target = &report["targets"][0];
    let findings = target["findings"].as_array().expect("findings");
    let ecosystems: std::collections::BTreeSet<&str> = findings
        .iter()
        .filter_map(|f| f["ecosystem"].as_str())
        .collect();
    // pypi, cargo (binary and lockfile) and the Go standard library; nothing for deb and npm,
    // for which the shared feeds hold no advisories.
    assert_eq!(
        ecosystems.into_iter().collect::<Vec<_>>(),
        vec!["cargo", "golang", "pypi"]
    );
    assert!(findings.iter().any(|f| {
        f["package"] == "stdlib"
            && f["installed"]
                .as_str()
                .is_some_and(|v| v.contains("1.19.8"))
    }));
    let cargo_paths: std::collections::BTreeSet<&str> = findings
        .iter()
        .filter(|f| f["ecosystem"] == "cargo")
        .flat_map(|f| {
            f["locations"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|l| l["path"].as_str())
        })
        .collect();
    assert!(
        cargo_paths.iter().any(|p| p.ends_with("Cargo.lock")),
        "lockfile findings: {cargo_paths:?}"
    );
    assert!(
        cargo_paths.iter().any(|p| p.ends_with("bin/corpus-rs")),
        "binary findings: {cargo_paths:?}"
    );

    let cache = std::env::var_os("DRYDOCK_TRIVY_CACHE")
        .map_or_else(|| PathBuf::from("/work/cache/trivy-cache"), PathBuf::from);
    let Some(cache) = crate::require(
        "the Trivy DB from trivy-db.sh",
        cache.join("db/trivy.db").is_file().then_some(cache),
    ) else {
        return;
    };
    // Trivy writes to its cache dir: give it a copy.
    let tmp = tempfile::tempdir().expect("tempdir");
    let copy = tmp.path().join("cache");
    std::fs::create_dir_all(copy.join("db")).expect("mkdir");
    for f in ["trivy.db", "metadata.json"] {
        std::fs::copy(cache.join("db").join(f), copy.join("db").join(f)).expect("copy trivy db");
    }
    let Some(t) = crate::trivy(
        &oci,
        &copy,
        &[
            "--skip-db-update",
            "--skip-java-db-update",
            "--offline-scan",
            "-f",
            "json",
        ],
    ) else {
        return;
    };
    let mut theirs = std::collections::BTreeSet::new();
    for r in t["Results"].as_array().into_iter().flatten() {
        for v in r["Vulnerabilities"].as_array().into_iter().flatten() {
            theirs.insert((
                v["PkgName"].as_str().unwrap_or_default().to_lowercase(),
                v["VulnerabilityID"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            ));
        }
    }
    assert!(!theirs.is_empty(), "Trivy found nothing: is its DB empty?");
    let ours: Vec<(String, Vec<String>)> = findings
        .iter()
        .map(|f| {
            let mut ids = vec![f["id"].as_str().unwrap_or_default().to_string()];
            ids.extend(
                f["aliases"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|a| a.as_str())
                    .map(str::to_string),
            );
            (
                f["package"].as_str().unwrap_or_default().to_lowercase(),
                ids,
            )
        })
        .collect();
    let trivy_only: Vec<_> = theirs
        .iter()
        .filter(|(p, id)| !ours.iter().any(|(q, ids)| q == p && ids.contains(id)))
        .collect();
    let drydock_only: Vec<_> = ours
        .iter()
        .filter(|(p, ids)| {
            !ids.iter()
                .any(|id| theirs.contains(&(p.clone(), id.clone())))
        })
        .collect();
    assert!(trivy_only.is_empty(), "found by Trivy only: {trivy_only:?}");
    assert!(
        drydock_only.is_empty(),
        "found by drydock only: {drydock_only:?}"
    );
}

/// Issue 8: an environment profile re-scores the real NVD vector of CVE-2019-14697 (9.8
/// CRITICAL) for an adjacent-network deployment, and the gate can read that severity.
#[test]
fn environment_rescoring_in_scans() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = tmp.path().join("drydock.toml");
    std::fs::write(&config, "[env-profiles.internal]\ndescription = \"not on the internet\"\nmetrics = \"MAV:A/CR:H/IR:M/AR:L\"\n")
        .expect("write config");
    let cfg = config.to_str().expect("utf-8");
    // `drydock image` of Alpine 3.7.3 under the profile `internal`.
    let internal = |extra: &[&str]| {
        scan(
            "image",
            &alpine373(),
            &[&["--config", cfg, "--env-profile", "internal"], extra].concat(),
        )
    };
    let report = stdout_json(&internal(&["--format", "json"]), "drydock image");
    for f in report["targets"][0]["findings"]
        .as_array()
        .expect("findings")
    {
        assert_eq!(f["severity"], "CRITICAL");
        assert_eq!(f["environmental_severity"], "HIGH", "{f}");
        let v31 = f["cvss"]
            .as_array()
            .expect("cvss")
            .iter()
            .find(|c| c["version"] == "3.1")
            .expect("a v3.1 score");
        assert_eq!(v31["environmental_score"], 8.8);
    }
    let table = internal(&[]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("Severity (env)") && text.contains("CRITICAL → HIGH"),
        "{text}"
    );
    // The gate on base severity fails; on the environmental one it passes.
    let base = internal(&["--fail-on", "CRITICAL"]);
    assert_eq!(base.status.code(), Some(1));
    let env = internal(&[
        "--fail-on",
        "CRITICAL",
        "--severity-source",
        "environmental",
    ]);
    assert_eq!(
        env.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&env.stderr)
    );
    // --env alone works too, and a bad metric is a usage error naming it.
    let out = scan("image", &alpine373(), &["--env", "MAV:Q"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("MAV"));
}

/// Issue 6, must-show 2: `drydock fs` on the corpus image's Rust `Cargo.lock` gives the same
/// advisory ids as `cargo audit` with the same RustSec data (drydock reports a vulnerability
/// under its CVE when it has one, with the RUSTSEC id among the aliases).
#[test]
fn fs_cargo_lock_equals_cargo_audit() {
    let Some(corpus) = crate::corpus() else {
        return;
    };
    let Some(audit) = crate::peer("cargo-audit") else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        corpus.join("work/l5-rust/src/corpus-rs/Cargo.lock"),
        tmp.path().join("Cargo.lock"),
    )
    .expect("copy Cargo.lock");
    let out = scan("fs", tmp.path(), &["--format", "json"]);
    let report = stdout_json(&out, "drydock fs");
    let ours: std::collections::BTreeSet<String> = report["targets"][0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .flat_map(|f| {
            let mut ids = vec![f["id"].clone()];
            ids.extend(f["aliases"].as_array().cloned().unwrap_or_default());
            ids.into_iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .filter(|i| i.starts_with("RUSTSEC-"))
        })
        .collect();
    let db = tmp.path().join("rustsec");
    std::fs::create_dir_all(&db).expect("mkdir");
    let status = std::process::Command::new("tar")
        .arg("xzf")
        .arg(shared().join("data/advisories/rustsec/advisory-db.tar.gz"))
        .arg("-C")
        .arg(&db)
        .status()
        .expect("tar");
    assert!(status.success());
    let root = db;
    let out = std::process::Command::new(audit)
        .args(["audit", "--db"])
        .arg(&root)
        .args(["--no-fetch", "--stale", "--no-yanked", "--json", "-f"])
        .arg(tmp.path().join("Cargo.lock"))
        .output()
        .expect("run cargo-audit");
    let a: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "cargo-audit json ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let theirs: std::collections::BTreeSet<String> = a["vulnerabilities"]["list"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|v| v["advisory"]["id"].as_str().map(str::to_string))
        .collect();
    assert!(!theirs.is_empty());
    assert_eq!(ours, theirs, "drydock fs (left) vs cargo audit (right)");
}
