//! Misconfigurations and secrets (`--scanners misconfig,secret`) in every format beside the
//! table and SARIF: each writer shows the reported ones, keeps the verdicts the format can
//! carry, and never prints a secret value.

use drydock_policy::Verdict;
use drydock_report::{Format, MisconfigEntry, Report, WriteOptions};
use serde_json::Value;

use crate::fixture::misconfig_report;
use crate::snapshots::render;

const SECRET: &str = "AKIAIOSFODNN7EXAMPLE";

fn entries(r: &Report) -> Vec<&MisconfigEntry> {
    let t = &r.targets[0];
    t.misconfigurations.iter().chain(&t.secrets).collect()
}

fn reported(r: &Report) -> Vec<&MisconfigEntry> {
    entries(r).into_iter().filter(|e| e.is_reported()).collect()
}

fn with_verdict(r: &Report, v: Verdict) -> &MisconfigEntry {
    entries(r)
        .into_iter()
        .find(|e| e.policy.verdict == v)
        .expect("the fixture has every verdict")
}

fn json_of(r: &Report, f: Format) -> Value {
    serde_json::from_str(&render(r, f, &WriteOptions::default())).expect("the output is JSON")
}

#[test]
fn csv_has_a_row_per_reported_misconfiguration_and_secret() {
    let r = misconfig_report();
    let text = render(&r, Format::Csv, &WriteOptions::default());
    assert!(!text.contains(SECRET), "{text}");
    let mut rd = ::csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = rd
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(header.last().map(String::as_str), Some("kind"));
    let col = |name: &str| header.iter().position(|h| h == name).expect("column");
    let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.expect("a row")).collect();
    let checks: Vec<&csv::StringRecord> = rows
        .iter()
        .filter(|row| &row[col("kind")] != "vulnerability")
        .collect();
    assert_eq!(checks.len(), reported(&r).len());
    for e in reported(&r) {
        let f = &e.finding;
        let row = checks
            .iter()
            .find(|row| row[col("fingerprint")] == f.fingerprint)
            .unwrap_or_else(|| panic!("no row for {}", f.id));
        assert_eq!(&row[col("id")], f.id);
        assert_eq!(&row[col("severity")], f.severity.as_str());
        assert_eq!(row[col("path")], f.evidence.location());
        let kind = if drydock_misconfig::is_secret_check(&f.id) {
            "secret"
        } else {
            "misconfiguration"
        };
        assert_eq!(&row[col("kind")], kind);
    }
    let suppressed = with_verdict(&r, Verdict::Suppressed);
    assert!(
        !checks
            .iter()
            .any(|row| row[col("fingerprint")] == suppressed.finding.fingerprint)
    );
}

#[test]
fn markdown_has_a_table_each_for_misconfigurations_and_secrets() {
    let r = misconfig_report();
    let text = render(&r, Format::Markdown, &WriteOptions::default());
    assert!(!text.contains(SECRET), "{text}");
    assert!(text.contains("### Misconfigurations\n"), "{text}");
    assert!(text.contains("### Secrets\n"), "{text}");
    for e in reported(&r) {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("| {} |", e.finding.id)))
            .unwrap_or_else(|| panic!("no row for {}:\n{text}", e.finding.id));
        assert!(line.contains(e.finding.severity.as_str()), "{line}");
    }
    let suppressed = with_verdict(&r, Verdict::Suppressed);
    let row = format!("| {} |", suppressed.finding.id);
    assert!(!text.lines().any(|l| l.starts_with(&row)), "{text}");
    assert!(text.contains("not shown"), "{text}");
    let all = WriteOptions {
        show_suppressed: true,
        ..WriteOptions::default()
    };
    let text = render(&r, Format::Markdown, &all);
    let line = text
        .lines()
        .find(|l| l.starts_with(&row))
        .expect("the suppressed row with --show-suppressed");
    assert!(
        line.contains("suppressed: the entrypoint drops privileges"),
        "{line}"
    );
}

#[test]
fn html_has_a_table_each_for_misconfigurations_and_secrets() {
    let r = misconfig_report();
    let text = render(&r, Format::Html, &WriteOptions::default());
    assert!(!text.contains(SECRET));
    assert!(text.contains("<h3>Misconfigurations <small>"), "{text}");
    assert!(text.contains("<h3>Secrets <small>"), "{text}");
    for e in reported(&r) {
        let cell = format!("<td class=\"mono\">{}</td>", e.finding.id);
        assert!(text.contains(&cell), "no row for {}", e.finding.id);
    }
    let suppressed = with_verdict(&r, Verdict::Suppressed);
    let cell = format!("<td class=\"mono\">{}</td>", suppressed.finding.id);
    assert!(!text.contains(&cell));
    // A title that is markup stays text.
    let mut hostile = r.clone();
    hostile.targets[0].misconfigurations[0].finding.title = "<script>alert(1)</script>".into();
    hostile.targets[0].misconfigurations[0].policy.verdict = Verdict::Fail;
    let text = render(&hostile, Format::Html, &WriteOptions::default());
    assert!(text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
}

#[test]
fn junit_fails_a_test_case_per_reported_check_and_skips_suppressed_ones() {
    let r = misconfig_report();
    let plain = {
        let mut p = r.clone();
        p.targets[0].misconfigurations.clear();
        p.targets[0].secrets.clear();
        p
    };
    let count = |text: &str, what: &str| text.matches(what).count();
    let with = render(&r, Format::Junit, &WriteOptions::default());
    let without = render(&plain, Format::Junit, &WriteOptions::default());
    assert!(!with.contains(SECRET));
    assert_eq!(
        count(&with, "<failure ") - count(&without, "<failure "),
        reported(&r).len()
    );
    assert_eq!(count(&with, "<skipped ") - count(&without, "<skipped "), 1);
    for e in reported(&r) {
        let name = format!("name=\"[{}] {}\"", e.finding.severity, e.finding.id);
        assert!(with.contains(&name), "{name}");
    }
    let secret = &r.targets[0].secrets[0].finding;
    assert!(with.contains(&format!(
        "classname=\"secret: {}\"",
        secret.evidence.location()
    )));
}

#[test]
fn cyclonedx_lists_checks_as_vulnerabilities_of_the_image() {
    let r = misconfig_report();
    let text = render(&r, Format::CycloneDx, &WriteOptions::default());
    assert!(!text.contains(SECRET));
    let v: Value = serde_json::from_str(&text).expect("JSON");
    let image_ref = v["metadata"]["component"]["bom-ref"].clone();
    let vulns = v["vulnerabilities"].as_array().expect("vulnerabilities");
    let prop = |x: &Value, name: &str| -> Option<String> {
        x["properties"]
            .as_array()?
            .iter()
            .find(|p| p["name"] == name)
            .and_then(|p| p["value"].as_str().map(str::to_string))
    };
    let checks: Vec<&Value> = vulns
        .iter()
        .filter(|x| prop(x, "drydock:kind").is_some())
        .collect();
    // Reported and suppressed ones, not the filtered one (as for vulnerabilities).
    assert_eq!(checks.len(), reported(&r).len() + 1);
    for e in reported(&r) {
        let f = &e.finding;
        let x = checks
            .iter()
            .find(|x| prop(x, "drydock:fingerprint").as_deref() == Some(f.fingerprint.as_str()))
            .unwrap_or_else(|| panic!("no entry for {}", f.id));
        assert_eq!(x["id"], f.id.as_str());
        assert_eq!(x["affects"][0]["ref"], image_ref);
        assert_eq!(x["recommendation"], f.fix.as_str());
        assert_eq!(
            x["ratings"][0]["severity"],
            f.severity.as_str().to_ascii_lowercase()
        );
        assert_eq!(prop(x, "drydock:location"), Some(f.evidence.location()));
    }
    let s = with_verdict(&r, Verdict::Suppressed);
    let x = checks
        .iter()
        .find(|x| x["id"] == s.finding.id.as_str())
        .expect("the suppressed check");
    assert_eq!(x["analysis"]["state"], "not_affected");
    let refs: std::collections::BTreeSet<&str> =
        vulns.iter().filter_map(|x| x["bom-ref"].as_str()).collect();
    assert_eq!(refs.len(), vulns.len(), "bom-refs are unique");
}

/// SPDX 2.3 has no place for findings of any kind: the document is the same with or without
/// misconfigurations and secrets (docs/output-formats says so).
#[test]
fn spdx_leaves_checks_out() {
    let r = misconfig_report();
    let mut plain = r.clone();
    plain.targets[0].misconfigurations.clear();
    plain.targets[0].secrets.clear();
    assert_eq!(
        json_of(&r, Format::SpdxJson),
        json_of(&plain, Format::SpdxJson)
    );
}

/// Trivy's field names, as `trivy config` and `trivy image --image-config-scanners
/// misconfig,secret --scanners secret` write them (Trivy 0.6x JSON).
#[test]
fn trivy_json_has_misconfigurations_and_secrets_results() {
    let r = misconfig_report();
    let v = json_of(&r, Format::TrivyJson);
    assert!(!v.to_string().contains(SECRET));
    let results = v["Results"].as_array().expect("Results");
    let config: Vec<&Value> = results.iter().filter(|x| x["Class"] == "config").collect();
    let secret: Vec<&Value> = results.iter().filter(|x| x["Class"] == "secret").collect();
    let misconfigs: Vec<&Value> = config
        .iter()
        .flat_map(|x| {
            x["Misconfigurations"]
                .as_array()
                .expect("Misconfigurations")
        })
        .collect();
    let secrets: Vec<&Value> = secret
        .iter()
        .flat_map(|x| x["Secrets"].as_array().expect("Secrets"))
        .collect();
    let t = &r.targets[0];
    let n = |list: &[MisconfigEntry]| list.iter().filter(|e| e.is_reported()).count();
    assert_eq!(misconfigs.len(), n(&t.misconfigurations));
    assert_eq!(secrets.len(), n(&t.secrets));
    for x in &config {
        assert_eq!(x["Type"], "dockerfile");
        let failures = x["MisconfSummary"]["Failures"].as_u64().expect("Failures");
        assert_eq!(
            failures as usize,
            x["Misconfigurations"].as_array().map_or(0, Vec::len)
        );
        assert!(x["MisconfSummary"]["Successes"].is_u64());
    }
    let keys =
        |x: &Value| -> Vec<String> { x.as_object().expect("object").keys().cloned().collect() };
    for m in &misconfigs {
        for k in [
            "Type",
            "ID",
            "Title",
            "Description",
            "Message",
            "Namespace",
            "Resolution",
            "Severity",
            "References",
            "Status",
            "CauseMetadata",
        ] {
            assert!(keys(m).iter().any(|x| x == k), "{k} missing in {m}");
        }
        assert_eq!(m["Status"], "FAIL");
    }
    // The Dockerfile's root user points at its line, as Trivy's CauseMetadata does.
    let curl = misconfigs
        .iter()
        .find(|m| m["ID"] == "DD-109")
        .expect("DD-109 (curl | sh)");
    assert_eq!(curl["CauseMetadata"]["Provider"], "Dockerfile");
    assert_eq!(curl["CauseMetadata"]["StartLine"], 3);
    assert_eq!(curl["CauseMetadata"]["Code"]["Lines"][0]["Number"], 3);
    assert!(config.iter().any(|x| x["Target"] == "Dockerfile"));
    for s in &secrets {
        for k in [
            "RuleID",
            "Category",
            "Severity",
            "Title",
            "StartLine",
            "EndLine",
            "Match",
        ] {
            assert!(keys(s).iter().any(|x| x == k), "{k} missing in {s}");
        }
    }
    // The deleted private key: its file is the result's target, its layer named by digest
    // and diff ID.
    let key = secret
        .iter()
        .find(|x| x["Target"] == "/root/.ssh/id_rsa")
        .expect("a result for the hidden key");
    let layer = &key["Secrets"][0]["Layer"];
    assert_eq!(layer["DiffID"].as_str(), t.layers[0].diff_id.as_deref());
    assert_eq!(key["Secrets"][0]["RuleID"], "DD-306");
    // Without checks there are no config or secret results.
    let mut plain = r.clone();
    plain.targets[0].misconfigurations.clear();
    plain.targets[0].secrets.clear();
    let v = json_of(&plain, Format::TrivyJson);
    assert!(
        v["Results"]
            .as_array()
            .expect("Results")
            .iter()
            .all(|x| x["Class"] != "config" && x["Class"] != "secret")
    );
}
