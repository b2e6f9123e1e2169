//! `drydock image|fs --scanners vuln,misconfig,secret` (issue 19): misconfigurations and
//! secrets in the scan's own report, SARIF and gate, the same results as `drydock config`,
//! and the corpus image with no findings beyond the documented ones.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::misconfig::fixtures;
use crate::scan::db;
use crate::{assert_success, corpus, drydock, require, stdout_json};

fn run(cmd: &str, target: &Path, extra: &[&str]) -> Output {
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

fn json(cmd: &str, target: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["--format", "json"];
    args.extend_from_slice(extra);
    let out = run(cmd, target, &args);
    stdout_json(&out, &format!("drydock {cmd}"))
}

/// `(id, location)` pairs of a target's `misconfigurations` or `secrets`.
fn ids(v: &Value, key: &str) -> BTreeSet<String> {
    v["targets"][0][key]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| f["id"].as_str().expect("id").to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn bad() -> PathBuf {
    fixtures().join("images/bad/docker-archive.tar")
}

/// The scan's misconfigurations and secrets are exactly what `drydock config --image` finds
/// on the same image, split by kind; the JSON stays schema 1 and never holds a secret value.
#[test]
fn image_scan_reports_what_drydock_config_finds() {
    let image = bad();
    let v = json("image", &image, &["--scanners", "vuln,config,secret"]);
    assert_eq!(v["schema_version"], 1);
    let text = v.to_string();
    assert!(
        !text.contains("AKIAIOSFODNN7EXAMPLE"),
        "unmasked key: {text}"
    );
    let out = drydock()
        .args(["config", "--image"])
        .arg(&image)
        .args(["--format", "json"])
        .output()
        .expect("run drydock config");
    let alone = stdout_json(&out, "drydock config");
    let (mut misconfig, mut secret) = (BTreeSet::new(), BTreeSet::new());
    for f in crate::misconfig::entries(&alone) {
        let id = f["id"].as_str().expect("id").to_string();
        match id.as_str() {
            "DD-105" | "DD-106" | "DD-107" | "DD-113" | "DD-304" | "DD-305" | "DD-306" => {
                secret.insert(id)
            }
            _ => misconfig.insert(id),
        };
    }
    assert!(secret.contains("DD-306"), "{alone}");
    assert_eq!(ids(&v, "misconfigurations"), misconfig);
    assert_eq!(ids(&v, "secrets"), secret);
    // Every entry carries its verdict; without a gate nothing is filtered.
    for key in ["misconfigurations", "secrets"] {
        for f in v["targets"][0][key].as_array().expect("entries") {
            assert_eq!(f["verdict"], "fail", "{f}");
            assert!(f["fingerprint"].as_str().is_some_and(|s| s.len() == 32));
        }
    }
    // The default is vulnerabilities only: no misconfigurations or secrets keys.
    let v = json("image", &image, &[]);
    assert!(v["targets"][0].get("misconfigurations").is_none(), "{v}");
    assert!(v["targets"][0].get("secrets").is_none(), "{v}");
    // `--scanners secret` alone: no misconfigurations.
    let v = json("image", &image, &["--scanners", "secret"]);
    assert!(ids(&v, "misconfigurations").is_empty());
    assert!(!ids(&v, "secrets").is_empty());
}

/// No report format prints a secret of the bad image in full (issue 19: "the secret value
/// itself is never printed in full"), the layer list's history commands included; the table
/// has a Misconfigurations and a Secrets section, the hidden key among the secrets.
#[test]
fn no_format_prints_a_secret_value() {
    let raw: std::collections::BTreeMap<String, String> = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("secrets.json")).expect("secrets.json"),
    )
    .expect("secrets.json parses");
    assert!(raw.len() >= 5, "{raw:?}");
    let formats = [
        "table",
        "json",
        "sarif",
        "cyclonedx",
        "spdx-json",
        "csv",
        "markdown",
        "html",
        "junit",
        "trivy-json",
    ];
    for format in formats {
        let out = run("image", &bad(), &["--scanners", "all", "--format", format]);
        assert_success(&out, &format!("drydock image --format {format}"));
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        for (name, value) in &raw {
            // The masked prefix (4 characters) may show; the rest never does.
            assert!(
                !text.contains(&value[4..]),
                "--format {format} prints the {name} `{value}`"
            );
        }
        if format == "table" {
            let section = |title: &str| {
                text.split(&format!("\n{title}\n"))
                    .nth(1)
                    .unwrap_or_else(|| panic!("no {title} section: {text}"))
                    .to_string()
            };
            let secrets = section("Secrets");
            assert!(
                secrets.contains("DD-306") && secrets.contains("CRITICAL"),
                "{secrets}"
            );
            let misconfig = section("Misconfigurations");
            let misconfig = misconfig.split("\nSecrets\n").next().unwrap_or_default();
            assert!(misconfig.contains("DD-301"), "{misconfig}");
            assert!(!misconfig.contains("DD-306"), "{misconfig}");
        }
    }
}

/// Bad layer input through the scan: a layer file cut short is one error line naming the
/// layer (exit 2), files over the read bound a warning about the credential file among them
/// (the scan succeeds).
#[test]
fn truncated_and_huge_layer_files_through_the_scan() {
    let out = run(
        "image",
        &fixtures().join("images/truncated/oci"),
        &["--scanners", "misconfig,secret"],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("truncated") && err.contains("layer `sha256:"),
        "{err}"
    );
    let out = run(
        "image",
        &fixtures().join("images/huge/oci"),
        &["--scanners", "misconfig,secret", "--format", "json"],
    );
    assert_success(&out, "drydock image huge");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("root/.aws/credentials: not checked for credentials"),
        "{err}"
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert!(ids(&v, "secrets").is_empty(), "{v}");
}

/// `--severity`, `--fail-on` and `--exit-code` apply to misconfigurations and secrets; an
/// ignore-file entry naming a check id suppresses it.
#[test]
fn the_gate_counts_misconfigurations_and_secrets() {
    let image = bad();
    let clean = fixtures().join("images/clean/docker-archive.tar");
    let code = |target: &Path, extra: &[&str]| {
        let mut args = vec!["--scanners", "misconfig,secret"];
        args.extend_from_slice(extra);
        run("image", target, &args).status.code()
    };
    assert_eq!(code(&image, &["--fail-on", "CRITICAL"]), Some(1));
    assert_eq!(code(&image, &["--exit-code", "4"]), Some(4));
    assert_eq!(code(&clean, &["--exit-code", "4"]), Some(0));
    assert_eq!(code(&clean, &["--fail-on", "LOW"]), Some(0));
    // Without the misconfig scanners the bad image has nothing to fail on (one package, no
    // advisories in the test DB).
    assert_eq!(
        run("image", &image, &["--exit-code", "4"]).status.code(),
        Some(0)
    );

    // `--severity MEDIUM`: the LOW ones are kept as `filtered`, the gate counts the rest.
    let out = run(
        "image",
        &image,
        &[
            "--scanners",
            "misconfig",
            "--severity",
            "MEDIUM",
            "--exit-code",
            "4",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(4));
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let entries = v["targets"][0]["misconfigurations"]
        .as_array()
        .expect("entries");
    let low: Vec<&Value> = entries.iter().filter(|e| e["severity"] == "LOW").collect();
    assert!(!low.is_empty());
    assert!(low.iter().all(|e| e["verdict"] == "filtered"), "{low:?}");
    let failing = entries.iter().filter(|e| e["verdict"] == "fail").count();
    assert!(failing > 0);
    assert_eq!(v["gate"]["counted"], failing);
    assert_eq!(v["gate"]["failed"], true);

    // An ignore file naming DD-306 suppresses the hidden key (and the entry is not "unused").
    let dir = tempfile::tempdir().expect("temp dir");
    let ignore = dir.path().join("drydock-ignore.yaml");
    std::fs::write(
        &ignore,
        "ignore:\n  - id: DD-306\n    reason: test key, revoked\n    expires: 2099-01-01\n",
    )
    .expect("write the ignore file");
    let v = json(
        "image",
        &image,
        &[
            "--scanners",
            "secret",
            "--ignore-file",
            ignore.to_str().expect("utf-8"),
        ],
    );
    let hidden: Vec<&Value> = v["targets"][0]["secrets"]
        .as_array()
        .expect("secrets")
        .iter()
        .filter(|e| e["id"] == "DD-306")
        .collect();
    assert_eq!(hidden.len(), 1, "{v}");
    assert_eq!(hidden[0]["verdict"], "suppressed");
    assert_eq!(hidden[0]["reason"], "test key, revoked");
    let notices = v["policy_notices"].to_string();
    assert!(!notices.contains("matches no finding"), "{notices}");
}

/// The entries of `key` (`misconfigurations`, `secrets`) with check id `id`.
fn entries_of<'a>(v: &'a Value, key: &str, id: &str) -> Vec<&'a Value> {
    v["targets"][0][key]
        .as_array()
        .map(|a| a.iter().filter(|e| e["id"] == id).collect())
        .unwrap_or_default()
}

/// Triage and Trivy's ignore ids reach misconfigurations and secrets: a triage record naming
/// the check id and the fingerprint suppresses that one finding in a scan with `--store` (one
/// naming the check id and the file, those on that file), and
/// a `.trivyignore` listing Trivy's `DS002` suppresses the root-user check (DD-101).
#[test]
fn triage_and_trivy_ids_suppress_misconfigurations_and_secrets() {
    let image = bad();
    let dir = tempfile::tempdir().expect("temp dir");
    let store = dir.path().join("h.db");
    let store_arg = store.to_str().expect("utf-8");
    let scan = || {
        json(
            "image",
            &image,
            &["--scanners", "misconfig,secret", "--store", store_arg],
        )
    };
    let v = scan();
    let hidden = entries_of(&v, "secrets", "DD-306");
    assert_eq!(hidden.len(), 1, "{v}");
    assert_eq!(hidden[0]["verdict"], "fail");
    let fingerprint = hidden[0]["fingerprint"].as_str().expect("fingerprint");
    let out = drydock()
        .args(["triage", "set", "DD-306", "--package", fingerprint, "--all"])
        .args(["--state", "accepted", "--reason", "test key, revoked"])
        .args(["--expires", "2099-01-01", "--store", store_arg])
        .env("DRYDOCK_USER", "alice")
        .output()
        .expect("run drydock triage set");
    assert_success(&out, "drydock triage set");
    let v = scan();
    let hidden = entries_of(&v, "secrets", "DD-306");
    assert_eq!(hidden[0]["verdict"], "suppressed", "{v}");
    assert_eq!(hidden[0]["suppressed_by"], "triage #1");
    assert_eq!(hidden[0]["expires"], "2099-01-01");
    assert!(
        hidden[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("test key, revoked"))
    );
    // Only that finding: the other secrets still fail.
    let others = v["targets"][0]["secrets"]
        .as_array()
        .expect("secrets")
        .iter()
        .filter(|e| e["id"] != "DD-306")
        .collect::<Vec<_>>();
    assert!(!others.is_empty());
    assert!(others.iter().all(|e| e["verdict"] == "fail"), "{others:?}");
    // A record may name what the finding is about as the history store does (a file path):
    // it suppresses the findings of that check on that file.
    let file = others
        .iter()
        .find(|e| e["evidence"]["kind"] == "layer")
        .expect("a secret in a layer file");
    let (id, path) = (
        file["id"].as_str().expect("id"),
        file["evidence"]["path"].as_str().expect("path"),
    );
    let out = drydock()
        .args(["triage", "set", id, "--package", path, "--all"])
        .args(["--state", "false_positive", "--reason", "a placeholder"])
        .args(["--store", store_arg])
        .env("DRYDOCK_USER", "alice")
        .output()
        .expect("run drydock triage set");
    assert_success(&out, "drydock triage set");
    let v = scan();
    let same: Vec<&Value> = v["targets"][0]["secrets"]
        .as_array()
        .expect("secrets")
        .iter()
        .filter(|e| e["id"] == id && e["evidence"]["path"] == path)
        .collect();
    assert!(!same.is_empty());
    assert!(
        same.iter().all(|e| e["suppressed_by"] == "triage #2"),
        "{same:?}"
    );

    let ignore = dir.path().join(".trivyignore");
    std::fs::write(&ignore, "# the entrypoint drops privileges\nDS002\n").expect("write");
    let v = json(
        "image",
        &image,
        &[
            "--scanners",
            "misconfig",
            "--ignore-file",
            ignore.to_str().expect("utf-8"),
        ],
    );
    let root = entries_of(&v, "misconfigurations", "DD-101");
    assert!(!root.is_empty(), "{v}");
    for e in &root {
        assert_eq!(e["verdict"], "suppressed", "{e}");
        assert_eq!(e["reason"], "the entrypoint drops privileges");
    }
    let notices = v["policy_notices"].to_string();
    assert!(!notices.contains("matches no finding"), "{notices}");
}

/// SARIF: a rule per check with `security-severity`, Dockerfile results at their line, layer
/// files at their path; valid against the SARIF 2.1.0 schema (as the report tests check).
#[test]
fn sarif_has_a_rule_per_check_and_file_locations() {
    let dockerfile = fixtures().join("dockerfiles/dd109-curl-sh.Dockerfile");
    let scan = [
        "--scanners",
        "vuln,misconfig,secret",
        "--dockerfile",
        dockerfile.to_str().expect("utf-8"),
    ];
    let out = run(
        "image",
        &bad(),
        &[&scan[..], &["--format", "sarif"]].concat(),
    );
    let v = stdout_json(&out, "drydock image --format sarif");
    let run0 = &v["runs"][0];
    let rules = run0["tool"]["driver"]["rules"].as_array().expect("rules");
    let rule_ids: Vec<&str> = rules.iter().filter_map(|r| r["id"].as_str()).collect();
    for id in ["DD-101", "DD-306", "DD-109"] {
        assert!(rule_ids.contains(&id), "{rule_ids:?}");
    }
    let dd306 = rules.iter().find(|r| r["id"] == "DD-306").expect("DD-306");
    assert_eq!(dd306["properties"]["security-severity"], "9.5");
    // One rule per check the JSON report of the same scan holds, none twice, each with the
    // `security-severity` of the check's worst finding there.
    let report = json("image", &bad(), &scan);
    let mut worst: std::collections::BTreeMap<String, drydock_misconfig::Severity> =
        Default::default();
    for key in ["misconfigurations", "secrets"] {
        for e in report["targets"][0][key].as_array().expect("entries") {
            let sev: drydock_misconfig::Severity =
                serde_json::from_value(e["severity"].clone()).expect("a severity");
            let id = e["id"].as_str().expect("id").to_string();
            let w = worst.entry(id).or_insert(sev);
            *w = (*w).max(sev);
        }
    }
    let dd_rules: Vec<&Value> = rules
        .iter()
        .filter(|r| r["id"].as_str().is_some_and(|id| id.starts_with("DD-")))
        .collect();
    let ids: Vec<&str> = dd_rules.iter().filter_map(|r| r["id"].as_str()).collect();
    assert_eq!(
        ids,
        worst.keys().map(String::as_str).collect::<Vec<_>>(),
        "one rule per check, in id order"
    );
    for r in &dd_rules {
        let id = r["id"].as_str().expect("id");
        assert_eq!(
            r["properties"]["security-severity"],
            worst[id].security_severity(),
            "{id}"
        );
    }
    let results = run0["results"].as_array().expect("results");
    for r in results {
        let idx = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(
            rules[idx]["id"], r["ruleId"],
            "ruleIndex points at its rule"
        );
    }
    let uri_of = |r: &Value| {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let from_dockerfile = results
        .iter()
        .find(|r| r["ruleId"] == "DD-109" && uri_of(r).ends_with("dd109-curl-sh.Dockerfile"))
        .expect("a DD-109 result on the Dockerfile");
    // The line of the `curl … | sh` in the fixture, found in the file, not assumed.
    let text = std::fs::read_to_string(&dockerfile).expect("read the fixture");
    let want = 1 + text
        .lines()
        .position(|l| l.contains("| sh"))
        .expect("the fixture pipes into sh");
    let line = &from_dockerfile["locations"][0]["physicalLocation"]["region"]["startLine"];
    assert_eq!(line.as_u64(), Some(want as u64), "{from_dockerfile}");
    let hidden = results
        .iter()
        .find(|r| r["ruleId"] == "DD-306")
        .expect("DD-306 result");
    assert!(uri_of(hidden).ends_with("root/.ssh/id_ed25519"), "{hidden}");
    assert_eq!(hidden["level"], "error");

    let python = std::env::var_os("DRYDOCK_SCHEMA_PYTHON").map(PathBuf::from);
    let schema = std::env::var_os("DRYDOCK_SARIF_SCHEMA").map(PathBuf::from);
    let Some((python, schema)) = require(
        "DRYDOCK_SCHEMA_PYTHON and DRYDOCK_SARIF_SCHEMA (.ci/setup.d/report.sh)",
        python.zip(schema).filter(|(p, s)| p.exists() && s.exists()),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let doc = dir.path().join("misconfig.sarif");
    std::fs::write(&doc, &out.stdout).expect("write SARIF");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../drydock-report/tests/it/validate_schemas.py");
    let check = std::process::Command::new(python)
        .arg(script)
        .arg(&schema)
        .arg(&doc)
        .output()
        .expect("run the schema validator");
    assert!(
        check.status.success(),
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
}

/// The corpus image, both formats: the vulnerabilities are the same as a vuln-only scan's,
/// and the only misconfigurations are the documented DD-101 and DD-102 (no secrets).
#[test]
fn corpus_image_has_only_the_documented_findings() {
    let Some(corpus) = corpus() else { return };
    let fps = |v: &Value| -> BTreeSet<String> {
        v["targets"][0]["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| f["fingerprint"].as_str().expect("fingerprint").to_string())
            .collect()
    };
    for form in ["oci", "docker-archive.tar"] {
        let image = corpus.join("debian-app").join(form);
        let vuln = json("image", &image, &["--no-cache"]);
        let all = json(
            "image",
            &image,
            &["--scanners", "vuln,misconfig,secret", "--no-cache"],
        );
        assert!(!fps(&vuln).is_empty());
        assert_eq!(
            fps(&vuln),
            fps(&all),
            "{form}: the shared walk changes nothing"
        );
        let expected: BTreeSet<String> = ["DD-101", "DD-102"].map(String::from).into();
        assert_eq!(ids(&all, "misconfigurations"), expected, "{form}");
        assert!(
            ids(&all, "secrets").is_empty(),
            "{form}: {}",
            all["targets"][0]["secrets"]
        );
    }
}

/// `drydock fs DIR --scanners misconfig` checks the Dockerfiles it walks past: per file the
/// ids `drydock config DIR` expects.
#[test]
fn fs_scan_checks_the_dockerfiles_it_finds() {
    let dir = fixtures().join("dockerfiles");
    let v = json("fs", &dir, &["--scanners", "misconfig,secret"]);
    let expected = crate::misconfig::expected();
    let mut got: std::collections::BTreeMap<String, BTreeSet<String>> = expected
        .keys()
        .map(|k| (k.clone(), BTreeSet::new()))
        .collect();
    for key in ["misconfigurations", "secrets"] {
        for f in v["targets"][0][key].as_array().into_iter().flatten() {
            let path = f["evidence"]["path"].as_str().expect("a Dockerfile path");
            let name = path
                .rsplit('/')
                .next()
                .and_then(|n| n.strip_suffix(".Dockerfile"))
                .expect("fixture name");
            got.entry(name.to_string())
                .or_default()
                .insert(f["id"].as_str().expect("id").to_string());
        }
    }
    assert_eq!(got, expected);
    let out = run("image", &bad(), &["--scanners", "rbac"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("rbac"));
    let out = run("image", &bad(), &["--dockerfile", "Dockerfile"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "--dockerfile needs a check scanner"
    );
    assert_success(
        &run("image", &bad(), &["--scanners", "all"]),
        "--scanners all",
    );
}

/// Every key of an object in `items` (`Misconfigurations`, `Secrets`, or the results of a
/// class) over the results of a Trivy-shaped document.
fn trivy_keys(doc: &Value, class: &str, items: Option<&str>) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for r in doc["Results"].as_array().into_iter().flatten() {
        if r["Class"] != class {
            continue;
        }
        let objects: Vec<&Value> = match items {
            Some(k) => r[k].as_array().into_iter().flatten().collect(),
            None => vec![r],
        };
        for o in objects {
            keys.extend(o.as_object().into_iter().flatten().map(|(k, _)| k.clone()));
        }
    }
    keys
}

/// `--format trivy-json` puts misconfigurations and secrets where Trivy does, under its field
/// names: compared with what Trivy itself writes for the same image (`trivy image
/// --image-config-scanners misconfig,secret --scanners secret`).
#[test]
fn trivy_json_uses_trivys_field_names_for_misconfigurations_and_secrets() {
    let Some(trivy) = crate::peer("trivy") else {
        return;
    };
    let image = bad();
    let ours = json_trivy(&image);
    let cache = tempfile::tempdir().expect("temp dir");
    let out = std::process::Command::new(trivy)
        .args(["image", "--quiet", "--skip-db-update", "--offline-scan"])
        .args([
            "--skip-check-update",
            "--format",
            "json",
            "--scanners",
            "secret",
        ])
        .args(["--image-config-scanners", "misconfig,secret", "--cache-dir"])
        .arg(cache.path())
        .arg("--input")
        .arg(&image)
        .output()
        .expect("run trivy");
    let theirs = stdout_json(&out, "trivy image");
    // What Trivy writes that drydock does not: the match's byte offset, the AVD page and the
    // Rego query (drydock's checks are not Rego and have no AVD page).
    let not_ours = ["Offset", "PrimaryURL", "Query"];
    // What drydock writes that Trivy leaves out here: `Layer` of a misconfiguration in a layer
    // file (setuid, accounts); Trivy's misconfiguration has the field, its image checks never
    // fill it.
    let not_theirs = ["Layer"];
    for (class, items) in [
        ("config", None),
        ("config", Some("Misconfigurations")),
        ("secret", None),
        ("secret", Some("Secrets")),
    ] {
        let o = trivy_keys(&ours, class, items);
        let t = trivy_keys(&theirs, class, items);
        assert!(!o.is_empty() && !t.is_empty(), "{class} {items:?}: {ours}");
        let extra: Vec<&String> = o
            .difference(&t)
            .filter(|k| !not_theirs.contains(&k.as_str()))
            .collect();
        assert!(
            extra.is_empty(),
            "{class} {items:?}: keys Trivy does not write: {extra:?}"
        );
        let missing: Vec<&String> = t
            .difference(&o)
            .filter(|k| !not_ours.contains(&k.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "{class} {items:?}: Trivy's keys missing: {missing:?}"
        );
    }
}

fn json_trivy(image: &Path) -> Value {
    let out = run(
        "image",
        image,
        &["--scanners", "misconfig,secret", "--format", "trivy-json"],
    );
    stdout_json(&out, "drydock image --format trivy-json")
}
