//! VEX export and import on both stores: export → import into an empty store → export is
//! byte-identical (OpenVEX and CycloneDX), the records come back field for field, the documents
//! validate against the official schemas and are read by drydock's independent `--vex` reader and
//! by another OpenVEX implementation (`vexipy`); bad documents are one-line errors that write
//! nothing.

use std::path::PathBuf;
use std::process::Command;

use drydock_policy::{Date, VexDoc, VexStatus};
use drydock_store::{Store, TriageFilter, TriageRecord};
use drydock_triage::vex::{self, ExportOptions, ImportDefaults};
use drydock_triage::{Triage, TriageInput};

use crate::data::stores;

fn today() -> Date {
    "2026-06-01".parse().expect("a date")
}

fn defaults() -> ImportDefaults {
    ImportDefaults {
        today: today(),
        expires: "2026-12-01".parse().expect("a date"),
    }
}

fn opts() -> ExportOptions {
    ExportOptions {
        author: "security@example.com".into(),
        version: "test".into(),
    }
}

/// One record of each state, scope and justification vocabulary, with the fields VEX has no
/// place for (owner, approver, notes, expiry), odd characters included.
fn inputs() -> Vec<TriageInput> {
    let base = |scope: &str, pkg: &str, vuln: &str, state: &str| TriageInput {
        scope: scope.into(),
        repository: (scope == "image").then(|| "registry.example:5000/team/app".to_string()),
        release: (scope == "release").then(|| "5.3.3".to_string()),
        package: pkg.into(),
        vuln_id: vuln.into(),
        state: state.into(),
        ..TriageInput::default()
    };
    let mut v = vec![base("image", "openssl", "CVE-2024-0727", "in_triage")];
    v[0].reason = Some("looking: see SEC-12\nsecond line".into());
    let mut a = base("release", "zlib", "CVE-2022-37434", "affected");
    a.ecosystem = Some("deb".into());
    a.owner = Some("platform-team".into());
    v.push(a);
    v.push(base("all", "busybox", "CVE-2022-28391", "affected"));
    let mut na = base("image", "stdlib", "CVE-2023-45288", "not_affected");
    na.ecosystem = Some("golang".into());
    na.justification = Some("code_not_reachable".into());
    na.reason = Some("HTTP/2 server not used | \"quoted\"".into());
    v.push(na);
    let mut na2 = base(
        "all",
        "golang.org/x/net",
        "GHSA-4v7x-pqxf-cx7m",
        "not_affected",
    );
    na2.ecosystem = Some("golang".into());
    na2.justification = Some("vulnerable_code_not_in_execute_path".into());
    na2.reason = Some("html parser unused".into());
    v.push(na2);
    let mut fp = base("release", "@babel/core", "CVE-2023-45133", "false_positive");
    fp.ecosystem = Some("npm".into());
    fp.reason = Some("build-time only".into());
    v.push(fp);
    let mut acc = base("image", "libexpat1", "CVE-2024-45491", "accepted");
    acc.ecosystem = Some("deb".into());
    acc.reason = Some("only parses our own XML".into());
    acc.expires = Some("2027-03-01".into());
    acc.approver = Some("head-of-eng".into());
    acc.notes = Some("ticket SEC-7".into());
    v.push(acc);
    let mut w = base(
        "all",
        "org.apache.logging.log4j:log4j-core",
        "CVE-2021-44832",
        "waiting",
    );
    w.ecosystem = Some("maven".into());
    v.push(w);
    let mut w2 = base("image", "musl", "CVE-2019-14697", "waiting");
    w2.reason = Some("Alpine has not shipped it".into());
    w2.expires = Some("2026-08-01".into());
    v.push(w2);
    v
}

fn fill(store: &mut Store) {
    for (i, input) in inputs().into_iter().enumerate() {
        let t = Triage::validate(input, today()).expect("valid");
        drydock_triage::set(store, &t, "alice", 1_700_000_000 + i as i64 * 3600).expect("written");
    }
}

fn records(store: &mut Store) -> Vec<TriageRecord> {
    store.triage_list(&TriageFilter::default()).expect("list")
}

fn export(store: &mut Store, format: vex::VexFormat) -> String {
    let entries = vex::entries_from_records(&records(store)).expect("exportable");
    match format {
        vex::VexFormat::OpenVex => vex::openvex(&entries, &opts()),
        vex::VexFormat::CycloneDx => vex::cyclonedx(&entries, &opts()),
    }
    .expect("exported")
}

fn import(store: &mut Store, doc: &str) {
    let got = vex::parse(doc, "doc.json", defaults()).expect("imports");
    assert!(got.skipped.is_empty(), "{:?}", got.skipped);
    for e in got.entries {
        drydock_triage::set_created(store, &e.triage, e.created_at, "bob", 1_800_000_000)
            .expect("written");
    }
}

/// The decision part of records: key and fields (ids and update times differ by design).
fn decisions(
    rs: &[TriageRecord],
) -> Vec<(drydock_store::TriageKey, drydock_store::TriageFields, i64)> {
    rs.iter()
        .map(|r| (r.key.clone(), r.fields.clone(), r.created_at))
        .collect()
}

#[test]
fn vex_round_trip_is_byte_identical_on_both_backends() {
    for format in [vex::VexFormat::OpenVex, vex::VexFormat::CycloneDx] {
        let mut pairs = stores().into_iter().zip(stores());
        for (mut a, mut b) in pairs.by_ref() {
            eprintln!("{format:?} on {}", a.backend);
            fill(&mut a.store);
            let first = export(&mut a.store, format);
            import(&mut b.store, &first);
            let second = export(&mut b.store, format);
            assert_eq!(first, second, "export → import → export differs");
            assert_eq!(
                decisions(&records(&mut a.store)),
                decisions(&records(&mut b.store)),
                "the records come back field for field"
            );
            // Importing again changes nothing.
            let before = b.store.triage_history(1).expect("history").len();
            import(&mut b.store, &first);
            assert_eq!(b.store.triage_history(1).expect("history").len(), before);
        }
    }
}

#[test]
fn openvex_and_cyclonedx_carry_the_same_decisions() {
    let mut a = stores().remove(0);
    fill(&mut a.store);
    let ov = export(&mut a.store, vex::VexFormat::OpenVex);
    let cdx = export(&mut a.store, vex::VexFormat::CycloneDx);
    let from_ov = vex::parse(&ov, "a.openvex.json", defaults()).expect("reads");
    let from_cdx = vex::parse(&cdx, "a.cdx.json", defaults()).expect("reads");
    assert_eq!(from_ov.entries, from_cdx.entries);
    assert_eq!(from_ov.entries.len(), inputs().len());
}

#[test]
fn the_vocabularies_map_as_documented() {
    let mut a = stores().remove(0);
    fill(&mut a.store);
    let ov: serde_json::Value =
        serde_json::from_str(&export(&mut a.store, vex::VexFormat::OpenVex)).expect("JSON");
    let st = |vuln: &str| {
        ov["statements"]
            .as_array()
            .expect("statements")
            .iter()
            .find(|s| s["vulnerability"]["name"] == vuln)
            .cloned()
            .unwrap_or_else(|| panic!("{vuln}"))
    };
    assert_eq!(st("CVE-2024-0727")["status"], "under_investigation");
    let na = st("CVE-2023-45288");
    assert_eq!(na["status"], "not_affected");
    assert_eq!(na["justification"], "vulnerable_code_not_in_execute_path");
    assert_eq!(
        na["impact_statement"],
        "HTTP/2 server not used | \"quoted\""
    );
    assert_eq!(
        na["products"][0]["@id"],
        "pkg:oci/app?repository_url=registry.example%3A5000%2Fteam%2Fapp"
    );
    assert_eq!(
        na["products"][0]["subcomponents"][0]["@id"],
        "pkg:golang/stdlib"
    );
    let fp = st("CVE-2023-45133");
    assert_eq!(fp["status"], "not_affected");
    assert_eq!(fp["justification"], "vulnerable_code_not_present");
    assert_eq!(fp["products"][0]["@id"], "urn:drydock:release:5.3.3");
    let acc = st("CVE-2024-45491");
    assert_eq!(acc["status"], "affected");
    assert_eq!(
        acc["action_statement"],
        "Risk accepted until 2027-03-01: only parses our own XML"
    );
    assert_eq!(
        st("CVE-2021-44832")["products"][0]["@id"],
        "pkg:maven/org.apache.logging.log4j/log4j-core"
    );

    let cdx: serde_json::Value =
        serde_json::from_str(&export(&mut a.store, vex::VexFormat::CycloneDx)).expect("JSON");
    let v = |id: &str| {
        cdx["vulnerabilities"]
            .as_array()
            .expect("vulnerabilities")
            .iter()
            .find(|v| v["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id}"))
    };
    let analysis = |id: &str| v(id)["analysis"].clone();
    assert_eq!(analysis("CVE-2024-0727")["state"], "in_triage");
    assert_eq!(
        analysis("CVE-2022-37434")["response"],
        serde_json::json!(["update"])
    );
    assert_eq!(
        analysis("CVE-2023-45288")["justification"],
        "code_not_reachable"
    );
    assert_eq!(
        analysis("GHSA-4v7x-pqxf-cx7m")["justification"],
        "code_not_reachable"
    );
    assert_eq!(analysis("CVE-2023-45133")["state"], "false_positive");
    assert_eq!(
        analysis("CVE-2024-45491")["response"],
        serde_json::json!(["will_not_fix"])
    );
    assert_eq!(
        analysis("CVE-2019-14697")["response"],
        serde_json::json!(["can_not_fix"])
    );
    assert_eq!(
        analysis("CVE-2024-45491")["detail"],
        "only parses our own XML"
    );
}

/// drydock's own `--vex` reader (drydock-policy, written separately) reads both exports.
#[test]
fn drydocks_vex_reader_reads_the_exports() {
    let mut a = stores().remove(0);
    fill(&mut a.store);
    for format in [vex::VexFormat::OpenVex, vex::VexFormat::CycloneDx] {
        let doc = export(&mut a.store, format);
        let parsed = VexDoc::parse(doc.as_bytes(), "export.json").expect("drydock-policy reads it");
        assert_eq!(parsed.statements.len(), inputs().len(), "{format:?}");
        let na = parsed
            .statements
            .iter()
            .find(|s| s.vulnerability == "CVE-2023-45288")
            .expect("the not_affected statement");
        assert_eq!(na.status, VexStatus::NotAffected);
        assert_eq!(na.purls, vec!["pkg:golang/stdlib".to_string()]);
        let acc = parsed
            .statements
            .iter()
            .find(|s| s.vulnerability == "CVE-2024-45491")
            .expect("the accepted statement");
        assert_eq!(
            acc.status,
            VexStatus::Affected,
            "an acceptance is not a VEX suppression"
        );
    }
}

/// A second OpenVEX v0.2.0 implementation, PyPI's `vexipy` (pydantic models with the spec's
/// statement rules; `.ci/setup.d/openvex.sh`), reads the export: one statement per record with
/// the documented status, justification, product and statement text, no warning; and it refuses
/// an `affected` statement without its action statement, so reading means something.
#[test]
fn another_openvex_implementation_reads_the_export() {
    let Some(python) = env_path("DRYDOCK_OPENVEX_PYTHON") else {
        let msg = "the OpenVEX reader needs DRYDOCK_OPENVEX_PYTHON (.ci/setup.d/openvex.sh)";
        assert!(!ci(), "{msg}");
        eprintln!("SKIPPED: {msg}");
        return;
    };
    let mut a = stores().remove(0);
    fill(&mut a.store);
    let doc = export(&mut a.store, vex::VexFormat::OpenVex);
    let read = |docs: &[&str]| {
        let dir = tempfile::tempdir().expect("temp dir");
        let paths: Vec<PathBuf> = docs
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let p = dir.path().join(format!("doc-{i}.json"));
                std::fs::write(&p, d).expect("write");
                p
            })
            .collect();
        let out = Command::new(&python)
            .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/it/read_openvex.py"))
            .args(&paths)
            .output()
            .expect("run the OpenVEX reader");
        let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).expect("the reader prints JSON"))
            .collect();
        (
            out.status.success(),
            lines,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, docs, err) = read(&[&doc]);
    assert!(ok, "vexipy refuses the export: {docs:?} {err}");
    let got = &docs[0];
    assert_eq!(got["author"], opts().author);
    assert_eq!(got["warnings"], serde_json::json!([]), "{got}");
    let ours: serde_json::Value = serde_json::from_str(&doc).expect("JSON");
    assert_eq!(got["id"], ours["@id"]);
    let statements = got["statements"].as_array().expect("statements");
    let recs = records(&mut a.store);
    assert_eq!(statements.len(), recs.len());
    for r in &recs {
        let t = Triage::from_record(r).expect("a valid record");
        let s = statements
            .iter()
            .find(|s| s["vulnerability"] == t.vuln_id.as_str())
            .unwrap_or_else(|| panic!("no statement for {}", t.vuln_id));
        use drydock_triage::State;
        let (status, justification) = match t.state {
            State::InTriage => ("under_investigation", None),
            State::NotAffected => (
                "not_affected",
                t.justification.map(|j| j.openvex().to_string()),
            ),
            State::FalsePositive => (
                "not_affected",
                Some("vulnerable_code_not_present".to_string()),
            ),
            State::Affected | State::Accepted | State::Waiting => ("affected", None),
        };
        assert_eq!(s["status"], status, "{s}");
        assert_eq!(s["justification"].as_str(), justification.as_deref(), "{s}");
        if let Some(reason) = &t.reason
            && t.state != State::InTriage
        {
            let text = s["impact_statement"]
                .as_str()
                .or(s["action_statement"].as_str())
                .unwrap_or_default();
            assert!(text.contains(reason.as_str()), "{s}");
        }
        if t.state == State::Accepted {
            let expires = t.expires.expect("an acceptance expires").to_string();
            assert!(
                s["action_statement"]
                    .as_str()
                    .is_some_and(|a| a.contains(&expires)),
                "{s}"
            );
        }
        let product = &s["products"][0];
        let subcomponents = product["subcomponents"].as_array().expect("a list");
        match &t.scope {
            drydock_triage::Scope::Image(repo) => {
                let id = product["id"].as_str().expect("a product id");
                assert!(id.starts_with("pkg:oci/"), "{s}");
                let encoded: String = repo
                    .chars()
                    .map(|c| match c {
                        '/' => "%2F".to_string(),
                        ':' => "%3A".to_string(),
                        c => c.to_string(),
                    })
                    .collect();
                assert!(id.ends_with(&format!("repository_url={encoded}")), "{s}");
                assert_eq!(subcomponents.len(), 1, "{s}");
            }
            drydock_triage::Scope::Release(rel) => {
                assert_eq!(product["id"], format!("urn:drydock:release:{rel}"), "{s}");
                assert_eq!(subcomponents.len(), 1, "{s}");
            }
            drydock_triage::Scope::All => {
                assert!(
                    product["id"]
                        .as_str()
                        .is_some_and(|p| p.starts_with("pkg:")),
                    "{s}"
                );
                assert!(subcomponents.is_empty(), "{s}");
            }
        }
    }

    // The reader is strict where the spec is: an `affected` statement needs an action statement.
    let mut bad: serde_json::Value = ours.clone();
    let affected = bad["statements"]
        .as_array_mut()
        .expect("statements")
        .iter_mut()
        .find(|s| s["status"] == "affected")
        .expect("an affected statement");
    affected
        .as_object_mut()
        .expect("an object")
        .remove("action_statement");
    let (ok, docs, _) = read(&[&bad.to_string()]);
    assert!(!ok, "{docs:?}");
    assert!(
        docs[0]["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{docs:?}"
    );
}

fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .map(PathBuf::from)
        .filter(|p| p.exists())
}

fn ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false")
}

/// Runs drydock-report's schema validator (Python `jsonschema`) on `(schema, document)` pairs.
fn validate(pairs: &[(PathBuf, String)]) -> Option<(bool, String)> {
    let (Some(python), Some(cdx_dir)) = (
        env_path("DRYDOCK_SCHEMA_PYTHON"),
        env_path("DRYDOCK_CYCLONEDX_SCHEMA_DIR"),
    ) else {
        let msg = "schema validation needs DRYDOCK_SCHEMA_PYTHON and DRYDOCK_CYCLONEDX_SCHEMA_DIR \
                   (.ci/setup.d/report.sh)";
        assert!(!ci(), "{msg}");
        eprintln!("SKIPPED: {msg}");
        return None;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../drydock-report/tests/it/validate_schemas.py");
    let mut cmd = Command::new(python);
    cmd.arg(script);
    for (i, (schema, doc)) in pairs.iter().enumerate() {
        let p = dir.path().join(format!("doc-{i}.json"));
        std::fs::write(&p, doc).expect("write");
        let schema = if schema.is_absolute() {
            schema.clone()
        } else {
            cdx_dir.join(schema)
        };
        cmd.arg(schema).arg(p);
    }
    cmd.arg("--resources").arg(&cdx_dir);
    let out = cmd.output().expect("run the validator");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some((out.status.success(), text))
}

fn openvex_schema() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/schemas/openvex_json_schema_0.2.0.json")
}

#[test]
fn exports_validate_against_the_official_schemas() {
    let mut a = stores().remove(0);
    fill(&mut a.store);
    let ov = export(&mut a.store, vex::VexFormat::OpenVex);
    let cdx = export(&mut a.store, vex::VexFormat::CycloneDx);
    let Some((ok, out)) = validate(&[
        (openvex_schema(), ov.clone()),
        (PathBuf::from("bom-1.6.schema.json"), cdx),
    ]) else {
        return;
    };
    eprintln!("{out}");
    assert!(ok, "{out}");
    assert_eq!(out.lines().filter(|l| l.starts_with("valid ")).count(), 2);

    // The validator rejects what the schemas forbid, so passing means something.
    let mut bad: serde_json::Value = serde_json::from_str(&ov).expect("JSON");
    bad["statements"][0]["status"] = "maybe".into();
    bad["statements"][1]["drydock_owner"] = "x".into();
    let Some((ok, out)) = validate(&[(openvex_schema(), bad.to_string())]) else {
        return;
    };
    assert!(!ok && out.contains("INVALID"), "{out}");
}

#[test]
fn bad_documents_are_one_line_errors() {
    let good = {
        let mut a = stores().remove(0);
        fill(&mut a.store);
        export(&mut a.store, vex::VexFormat::OpenVex)
    };
    let corrupt = &good[..good.len() / 2];
    let mut unknown_status: serde_json::Value = serde_json::from_str(&good).expect("JSON");
    unknown_status["statements"][2]["status_notes"] = serde_json::Value::Null;
    unknown_status["statements"][2]["status"] = "exploitable".into();
    let mut bad_state: serde_json::Value = serde_json::from_str(&good).expect("JSON");
    bad_state["statements"][0]["status_notes"] = "drydock triage: fixed-ish".into();
    let mut bad_purl: serde_json::Value = serde_json::from_str(&good).expect("JSON");
    for st in bad_purl["statements"].as_array_mut().expect("statements") {
        if st["vulnerability"]["name"] == "CVE-2024-0727" {
            st["products"][0]["subcomponents"][0]["@id"] = "openssl".into();
        }
    }
    let foreign_na = serde_json::json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "statements": [{"vulnerability": {"name": "CVE-1-2"}, "status": "not_affected",
                        "impact_statement": "trust us", "products": [{"@id": "pkg:deb/debian/x"}]}]
    });
    for (doc, want) in [
        (corrupt.to_string(), "doc.json:"),
        ("[1, 2]".to_string(), "not a VEX document"),
        (
            unknown_status.to_string(),
            "statement 3: unknown status `exploitable`",
        ),
        (bad_state.to_string(), "unknown triage state `fixed-ish`"),
        (bad_purl.to_string(), "is not a package purl"),
        (foreign_na.to_string(), "needs a justification"),
    ] {
        let e = vex::parse(&doc, "doc.json", defaults()).expect_err(want);
        let msg = e.to_string();
        assert!(msg.contains(want), "`{msg}` lacks `{want}`");
        assert_eq!(msg.lines().count(), 1, "{msg}");
        assert!(msg.contains("doc.json"), "{msg}");
    }
}

#[test]
fn foreign_documents_read_by_their_standard_fields() {
    let ov = serde_json::json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://example.com/vex/1",
        "author": "vendor",
        "timestamp": "2026-01-02T03:04:05Z",
        "version": 1,
        "statements": [
            {"vulnerability": {"name": "CVE-2024-1"}, "status": "not_affected",
             "justification": "component_not_present",
             "products": [{"@id": "pkg:oci/app?repository_url=ghcr.io%2Facme%2Fapp",
                           "subcomponents": [{"@id": "pkg:deb/debian/curl@7.88.1-10"}]}]},
            {"vulnerability": {"name": "CVE-2024-2"}, "status": "fixed",
             "products": [{"@id": "pkg:npm/lodash"}]},
            {"vulnerability": {"name": "CVE-2024-3"}, "status": "affected",
             "action_statement": "upgrade to 2.0",
             "products": [{"identifiers": {"purl": "pkg:pypi/requests"}}]}
        ]
    });
    let got = vex::parse(&ov.to_string(), "vendor.json", defaults()).expect("reads");
    assert_eq!(got.skipped.len(), 1, "`fixed` is skipped with a note");
    assert_eq!(got.entries.len(), 2);
    let na = &got.entries[0].triage;
    assert_eq!(
        na.scope,
        drydock_triage::Scope::Image("ghcr.io/acme/app".into())
    );
    assert_eq!(na.package, "curl");
    assert_eq!(na.reason.as_deref(), Some("component_not_present"));
    assert_eq!(
        got.entries[1].triage.reason.as_deref(),
        Some("upgrade to 2.0")
    );
    assert_eq!(got.entries[1].triage.scope, drydock_triage::Scope::All);

    let cdx = serde_json::json!({
        "bomFormat": "CycloneDX", "specVersion": "1.5",
        "components": [{"bom-ref": "c1", "type": "library", "name": "jinja2", "purl": "pkg:pypi/jinja2@3.1.2"}],
        "vulnerabilities": [
            {"id": "CVE-2024-22195", "analysis": {"state": "exploitable", "response": ["will_not_fix"], "detail": "templates are ours"},
             "affects": [{"ref": "c1"}]},
            {"id": "CVE-2024-5", "analysis": {"state": "resolved"}, "affects": [{"ref": "c1"}]}
        ]
    });
    let got = vex::parse(&cdx.to_string(), "bom.json", defaults()).expect("reads");
    assert_eq!(got.skipped.len(), 1);
    let t = &got.entries[0].triage;
    assert_eq!(t.state, drydock_triage::State::Accepted);
    assert_eq!(
        t.expires,
        Some(defaults().expires),
        "the import's default expiry"
    );
    assert_eq!(t.package, "jinja2");
}

/// A scan with `--linked-only` of the corpus image's Go binary: the filtered findings export as
/// `not_affected` / `vulnerable_code_not_present` (`code_not_present`) with the evidence.
#[test]
fn reachability_filtered_findings_export_as_not_affected() {
    let Some(image) = crate::data::corpus_archive() else {
        return;
    };
    let settings = drydock_scan::ScanSettings {
        today: Some(today()),
        policy: drydock_policy::Policy {
            linked_only: true,
            ..drydock_policy::Policy::default()
        },
        ..drydock_scan::ScanSettings::default()
    };
    let out = drydock_scan::scan(
        &drydock_scan::TargetSpec::new(image.to_string_lossy().as_ref()),
        drydock_scan::Kind::Image,
        &drydock_advisory::Db::open(crate::data::db_path()).expect("DB"),
        &settings,
    )
    .expect("scans");
    let t = &out.report.targets[0];
    let filtered = t
        .findings
        .iter()
        .filter(|d| {
            d.verdict == drydock_policy::Verdict::Filtered
                && d.finding.evidence.as_ref().is_some_and(|e| e.code_absent())
        })
        .count();
    assert!(
        filtered > 0,
        "the corpus Go binary has findings whose code is absent"
    );
    let entries = vex::entries_from_decisions(&out.repository, &t.findings, Some(1_767_225_600));
    assert!(!entries.is_empty() && entries.len() <= filtered);
    let ov: serde_json::Value =
        serde_json::from_str(&vex::openvex(&entries, &opts()).expect("exports")).expect("JSON");
    for s in ov["statements"].as_array().expect("statements") {
        assert_eq!(s["status"], "not_affected");
        assert_eq!(s["justification"], "vulnerable_code_not_present");
        let impact = s["impact_statement"].as_str().expect("impact");
        assert!(impact.starts_with("Go reachability evidence ("), "{impact}");
        assert!(
            s["products"][0]["subcomponents"][0]["@id"]
                .as_str()
                .is_some_and(|p| p.starts_with("pkg:golang/")),
            "{s}"
        );
    }
    let cdx: serde_json::Value =
        serde_json::from_str(&vex::cyclonedx(&entries, &opts()).expect("exports")).expect("JSON");
    assert!(
        cdx["vulnerabilities"]
            .as_array()
            .expect("vulnerabilities")
            .iter()
            .all(|v| v["analysis"]["justification"] == "code_not_present")
    );
    // Read back: records that suppress those findings at the next scan.
    let back = vex::parse(&ov.to_string(), "reach.json", defaults()).expect("reads");
    assert_eq!(back.entries.len(), entries.len());
    assert!(
        back.entries
            .iter()
            .all(|e| e.triage.state == drydock_triage::State::NotAffected)
    );
}
