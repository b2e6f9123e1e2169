//! Properties of the outputs beyond their snapshots: the JSON round trip, determinism, the
//! rules GitHub code scanning applies to SARIF, references inside CycloneDX and SPDX, the CSV
//! columns, and escaping of hostile feed text.

use std::collections::BTreeSet;

use drydock_policy::Verdict;
use drydock_report::{Format, Report, WriteOptions};
use serde_json::Value;

use crate::fixture::{IMAGE, sbom_report, vulnerability_report};
use crate::snapshots::render;

fn json_of(report: &Report, format: Format) -> Value {
    serde_json::from_str(&render(report, format, &WriteOptions::default())).expect("valid JSON")
}

#[test]
fn format_names_round_trip() {
    for f in Format::ALL {
        assert_eq!(f.as_str().parse::<Format>(), Ok(f));
    }
    assert_eq!("SARIF".parse::<Format>(), Ok(Format::Sarif));
    let err = "yaml".parse::<Format>().expect_err("yaml is no format");
    assert!(err.to_string().contains("`yaml`"));
}

#[test]
fn json_report_round_trips() {
    let r = vulnerability_report();
    let text = render(&r, Format::Json, &WriteOptions::default());
    let back: Report = serde_json::from_str(&text).expect("the JSON report reads back");
    let mut sorted = r.clone();
    sorted.normalize();
    assert_eq!(back, sorted);
    let v: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(v["schema_version"], 1);
    for f in v["targets"][0]["findings"].as_array().expect("findings") {
        assert_eq!(f["fingerprint"].as_str().map(str::len), Some(32));
    }
    // Packages carry their purl next to the flattened package fields.
    let musl = v["targets"][0]["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .find(|p| p["name"] == "musl")
        .expect("musl");
    assert_eq!(
        musl["purl"],
        "pkg:apk/alpine/musl@1.1.18-r3?arch=x86_64&distro=alpine-3.7.3"
    );
}

#[test]
fn output_does_not_depend_on_input_order() {
    let r = vulnerability_report();
    let mut shuffled = r.clone();
    shuffled.targets[0].findings.reverse();
    shuffled.targets[0].packages.reverse();
    for f in Format::ALL {
        let opts = WriteOptions {
            color: false,
            show_suppressed: true,
            width: None,
        };
        assert_eq!(render(&r, f, &opts), render(&shuffled, f, &opts), "{f}");
    }
}

/// What GitHub code scanning checks on upload, beyond the schema.
#[test]
fn sarif_meets_github_code_scanning_rules() {
    let r = vulnerability_report();
    let v = json_of(&r, Format::Sarif);
    assert_eq!(v["version"], "2.1.0");
    let runs = v["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run["tool"]["driver"]["name"], "drydock");
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    let ids: Vec<&str> = rules.iter().filter_map(|r| r["id"].as_str()).collect();
    assert_eq!(ids, ["CVE-2019-14697"], "one rule per reported advisory id");
    for rule in rules {
        let score: f64 = rule["properties"]["security-severity"]
            .as_str()
            .expect("security-severity is a string")
            .parse()
            .expect("security-severity is a number");
        assert!((0.0..=10.0).contains(&score));
        assert!(
            rule["properties"]["tags"]
                .as_array()
                .expect("tags")
                .iter()
                .any(|t| t == "security")
        );
        assert!(rule["shortDescription"]["text"].as_str().is_some());
        assert!(
            rule["helpUri"]
                .as_str()
                .is_some_and(|u| u.starts_with("https://"))
        );
    }
    // NVD's CVSS 3.1 base score for CVE-2019-14697.
    assert_eq!(rules[0]["properties"]["security-severity"], "9.8");
    let results = run["results"].as_array().expect("results");
    // Reported findings only: the suppressed and filtered ones are not alerts.
    assert_eq!(results.len(), 2);
    for res in results {
        let i = res["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(res["ruleId"], rules[i]["id"]);
        assert_eq!(res["level"], "error");
        let text = res["message"]["text"].as_str().expect("message");
        for part in ["musl", "1.1.18-r3", "1.1.18-r4", IMAGE] {
            assert!(text.contains(part), "message names {part}: {text}");
        }
        let locs = res["locations"].as_array().expect("locations");
        assert!(!locs.is_empty());
        for loc in locs {
            let uri = loc["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .expect("uri");
            assert_eq!(
                uri, "lib/apk/db/installed",
                "relative path inside the image"
            );
            assert_eq!(loc["logicalLocations"][0]["name"], IMAGE);
            assert!(loc["physicalLocation"]["region"]["startLine"].as_u64() >= Some(1));
        }
        let fp = res["partialFingerprints"]
            .as_object()
            .expect("partialFingerprints");
        assert_eq!(fp.len(), 1);
        assert!(fp.values().all(|v| v.as_str().map(str::len) == Some(32)));
        assert_eq!(res["properties"]["imageName"], IMAGE);
    }
}

#[test]
fn cyclonedx_references_resolve() {
    let r = vulnerability_report();
    let v = json_of(&r, Format::CycloneDx);
    let mut refs = BTreeSet::new();
    let mut add = |c: &Value| {
        let r = c["bom-ref"].as_str().expect("bom-ref").to_string();
        assert!(refs.insert(r.clone()), "bom-ref {r} is unique");
    };
    add(&v["metadata"]["component"]);
    assert_eq!(v["metadata"]["component"]["type"], "container");
    let components = v["components"].as_array().expect("components");
    for c in components {
        add(c);
        if c["type"] == "library" {
            assert_eq!(c["bom-ref"], c["purl"]);
        }
    }
    assert_eq!(
        components.iter().filter(|c| c["type"] == "library").count(),
        r.targets[0].packages.len()
    );
    for d in v["dependencies"].as_array().expect("dependencies") {
        assert!(refs.contains(d["ref"].as_str().expect("ref")));
        for on in d["dependsOn"].as_array().into_iter().flatten() {
            assert!(refs.contains(on.as_str().expect("dependsOn")));
        }
    }
    let vulns = v["vulnerabilities"].as_array().expect("vulnerabilities");
    // Two reported, one suppressed; the filtered one is left out.
    assert_eq!(vulns.len(), 3);
    for vuln in vulns {
        for a in vuln["affects"].as_array().expect("affects") {
            assert!(refs.contains(a["ref"].as_str().expect("affects ref")));
        }
    }
    let musl = vulns
        .iter()
        .find(|x| x["id"] == "CVE-2019-14697")
        .expect("the musl CVE");
    let methods: Vec<&str> = musl["ratings"]
        .as_array()
        .expect("ratings")
        .iter()
        .filter_map(|r| r["method"].as_str())
        .collect();
    assert_eq!(methods, ["CVSSv31", "CVSSv2"]);
    assert_eq!(
        musl["ratings"][0]["vector"],
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
    );
    assert_eq!(musl["cwes"], serde_json::json!([787]));
    let suppressed = vulns
        .iter()
        .find(|x| x["id"] == "DRYDOCK-TEST-0001")
        .expect("the suppressed finding");
    assert_eq!(suppressed["analysis"]["state"], "not_affected");
}

#[test]
fn spdx_relationships_resolve() {
    let r = sbom_report();
    let v = json_of(&r, Format::SpdxJson);
    let mut ids = BTreeSet::from(["SPDXRef-DOCUMENT".to_string()]);
    for p in v["packages"].as_array().expect("packages") {
        let id = p["SPDXID"].as_str().expect("SPDXID").to_string();
        assert!(
            id.strip_prefix("SPDXRef-").is_some_and(|s| s
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')),
            "{id}"
        );
        assert!(ids.insert(id.clone()), "{id} is unique");
    }
    // The image, its OS, and every package.
    assert_eq!(ids.len(), 1 + 1 + 1 + r.targets[0].packages.len());
    let rels = v["relationships"].as_array().expect("relationships");
    for rel in rels {
        assert!(ids.contains(rel["spdxElementId"].as_str().expect("from")));
        assert!(ids.contains(rel["relatedSpdxElement"].as_str().expect("to")));
    }
    assert_eq!(
        rels.iter()
            .filter(|r| r["relationshipType"] == "DESCRIBES")
            .count(),
        1
    );
    assert!(
        v["documentNamespace"]
            .as_str()
            .is_some_and(|n| n.starts_with("https://"))
    );
}

#[test]
fn csv_has_one_row_per_reported_finding() {
    let r = vulnerability_report();
    let text = render(&r, Format::Csv, &WriteOptions::default());
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some(
            "image,package,installed,fixed,id,severity,title,url,status,fingerprint,ecosystem,path,kind"
        )
    );
    let reported = r.targets[0]
        .findings
        .iter()
        .filter(|d| matches!(d.verdict, Verdict::Fail | Verdict::Report))
        .count();
    assert_eq!(lines.count(), reported);
}

#[test]
fn hostile_feed_text_is_escaped() {
    let mut r = vulnerability_report();
    let f = &mut r.targets[0].findings[0].finding;
    f.title = Some("=cmd|' /C calc'!A0 <img src=x onerror=alert(1)> \x1b[31mred | pipe".into());
    f.primary_url = Some("javascript:alert(1)".into());
    let all = WriteOptions {
        color: false,
        show_suppressed: true,
        width: None,
    };
    let html = render(&r, Format::Html, &all);
    assert!(!html.contains("<img"));
    assert!(!html.contains("javascript:"));
    // One script, the filter the CSP pins by hash; a `<script>` in feed text or a reason is
    // escaped.
    assert_eq!(
        html.matches("<script").count(),
        1,
        "the suppression reason is escaped too"
    );
    let md = render(&r, Format::Markdown, &all);
    assert!(!md.contains("<img"));
    assert!(!md.contains("](javascript:"));
    let table = render(&r, Format::Table, &all);
    assert!(!table.contains('\x1b'));
    let junit = render(&r, Format::Junit, &all);
    assert!(!junit.contains("<img"));
    assert!(!junit.contains('\x1b'));
    let csv = render(&r, Format::Csv, &all);
    assert!(csv.contains("'=cmd"), "formula defused: {csv}");
}
