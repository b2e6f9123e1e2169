//! Statements from a real report: their shape (snapshot), deterministic signing, and each check
//! of the verifier failing on the input it exists for.

use base64::Engine as _;
use drydock_attest::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
use drydock_attest::key::{SigningKey, VerifyingKey};
use drydock_attest::statement::{self, StatementOptions, SubjectRef, VULN_PREDICATE};
use drydock_attest::verify::{self, Policy};
use drydock_attest::{AttestError, Rejection};

const DIGEST: &str = "sha256:6e0f8a9f3c3b0b8b5c6f1b0f6a8e9d1c2b3a4f5e6d7c8b9a0f1e2d3c4b5a6978";

fn subject() -> SubjectRef {
    format!("127.0.0.1:5000/team/app@{DIGEST}")
        .parse()
        .expect("subject")
}

fn key(name: &str) -> SigningKey {
    SigningKey::from_pem_file(&crate::data(name)).expect("key")
}

fn public(name: &str) -> VerifyingKey {
    VerifyingKey::from_pem_file(&crate::data(name)).expect("public key")
}

fn signed(report: &drydock_report::Report) -> Envelope {
    let st = statement::vuln_statement(report, &subject(), &StatementOptions::default())
        .expect("statement");
    let body = serde_json::to_vec(&st).expect("JSON");
    Envelope::sign(IN_TOTO_PAYLOAD_TYPE, &body, &key("test-key.pem"))
}

/// A policy judged one hour after the report's scan.
fn policy() -> Policy {
    let mut p = Policy::new(drydock_image::Digest::parse(DIGEST).expect("digest"));
    p.now = "2023-11-14T23:13:20Z".parse().expect("time");
    p
}

fn rejection(r: drydock_attest::Result<verify::Accepted>) -> Rejection {
    match r {
        Err(AttestError::Rejected(r)) => r,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[test]
fn statement_carries_the_reported_findings_in_trivy_shape() {
    let report = crate::alpine_report();
    let st = statement::vuln_statement(&report, &subject(), &StatementOptions::default())
        .expect("statement");
    let value = serde_json::to_value(&st).expect("JSON");
    assert_eq!(value["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(value["predicateType"], VULN_PREDICATE);
    assert_eq!(value["subject"][0]["name"], "127.0.0.1:5000/team/app");
    assert_eq!(
        value["predicate"]["metadata"]["scanFinishedOn"],
        report.created_at
    );
    let vulns: Vec<(String, String)> =
        verify::vulnerabilities(&value["predicate"]["scanner"]["result"])
            .map(|v| {
                (
                    v["VulnerabilityID"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    v["PkgName"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
    // Exactly the report's reported findings, by CVE and package.
    let expected: Vec<(String, String)> = report.targets[0]
        .reported()
        .map(|d| (d.finding.id.clone(), d.finding.package.clone()))
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(vulns, expected);
    insta::assert_json_snapshot!("alpine373_statement", value);
}

#[test]
fn signing_is_deterministic_and_verifies() {
    let report = crate::alpine_report();
    let a = signed(&report);
    assert_eq!(a.to_json(), signed(&report).to_json(), "same bytes twice");
    assert_eq!(
        a.signatures[0].keyid.as_deref(),
        Some(""),
        "cosign's empty keyid"
    );
    let accepted = verify::verify(&a, &[public("test-key.pub")], &policy()).expect("verifies");
    assert_eq!(accepted.severities.values().sum::<usize>(), 2);
    // The private key file also serves as the public key.
    verify::verify(&a, &[public("test-key.pem")], &policy()).expect("verifies");
}

#[test]
fn tampered_payload_is_rejected() {
    let report = crate::alpine_report();
    let mut e = signed(&report);
    let mut body = e.body().expect("body");
    let text = String::from_utf8(body.clone()).expect("UTF-8");
    // Downgrade a finding's severity, as an attacker hiding it would.
    let changed = text.replacen("\"Severity\":\"", "\"Severity\":\"LOW", 1);
    assert_ne!(text, changed);
    body = changed.into_bytes();
    e.payload = base64::engine::general_purpose::STANDARD.encode(&body);
    assert!(matches!(
        rejection(verify::verify(&e, &[public("test-key.pub")], &policy())),
        Rejection::Signature(_)
    ));
}

#[test]
fn tampered_payload_type_is_rejected() {
    let mut e = signed(&crate::alpine_report());
    e.payload_type = "application/json".into();
    assert!(matches!(
        rejection(verify::verify(&e, &[public("test-key.pub")], &policy())),
        Rejection::PayloadType { .. }
    ));
}

#[test]
fn wrong_key_is_rejected() {
    let e = signed(&crate::alpine_report());
    assert!(matches!(
        rejection(verify::verify(&e, &[public("other-key.pub")], &policy())),
        Rejection::Signature(_)
    ));
    // Any of several keys may have signed.
    verify::verify(
        &e,
        &[public("other-key.pub"), public("test-key.pub")],
        &policy(),
    )
    .expect("the second key verifies");
}

#[test]
fn wrong_subject_is_rejected() {
    let e = signed(&crate::alpine_report());
    let mut p = policy();
    p.subject = drydock_image::Digest::of(b"another image");
    match rejection(verify::verify(&e, &[public("test-key.pub")], &p)) {
        Rejection::Subject { expected, found } => {
            assert_eq!(expected, p.subject.to_string());
            assert!(found.contains(&DIGEST["sha256:".len()..]), "{found}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn wrong_predicate_type_is_rejected() {
    let e = signed(&crate::alpine_report());
    let mut p = policy();
    p.predicate_type = "https://slsa.dev/provenance/v1".into();
    assert!(matches!(
        rejection(verify::verify(&e, &[public("test-key.pub")], &p)),
        Rejection::Type {
            field: "predicateType",
            ..
        }
    ));
}

#[test]
fn stale_and_future_scans_are_rejected() {
    let e = signed(&crate::alpine_report());
    let mut p = policy();
    p.max_age = Some(verify::parse_duration("30m").expect("duration"));
    match rejection(verify::verify(&e, &[public("test-key.pub")], &p)) {
        Rejection::Stale { age, max_age, .. } => {
            assert_eq!((age.as_str(), max_age.as_str()), ("1h", "30m"))
        }
        other => panic!("{other:?}"),
    }
    p.max_age = Some(verify::parse_duration("2h").expect("duration"));
    verify::verify(&e, &[public("test-key.pub")], &p).expect("fresh enough");
    p.now = "2023-11-14T20:00:00Z".parse().expect("time");
    assert!(matches!(
        rejection(verify::verify(&e, &[public("test-key.pub")], &p)),
        Rejection::Future { .. }
    ));
}

#[test]
fn denied_severities_are_rejected() {
    let report = crate::alpine_report();
    let e = signed(&report);
    let severity = report.targets[0]
        .reported()
        .next()
        .expect("a finding")
        .finding
        .severity
        .as_str()
        .to_string();
    let mut p = policy();
    p.deny.insert("LOW".into());
    if severity != "LOW" {
        verify::verify(&e, &[public("test-key.pub")], &p).expect("no LOW finding");
    }
    p.deny.insert(severity.clone());
    match rejection(verify::verify(&e, &[public("test-key.pub")], &p)) {
        Rejection::Denied { count, list } => {
            assert_eq!(count, 2, "{list}");
            assert!(list.contains("CVE-2019-14697 (musl, "), "{list}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_newest_trusted_attestation_decides() {
    let mut old = crate::alpine_report();
    old.created_at = "2023-11-01T00:00:00Z".into();
    let fresh = crate::alpine_report();
    let forged = {
        let mut e = signed(&fresh);
        e.signatures[0].sig = signed(&old).signatures[0].sig.clone();
        e
    };
    let mut p = policy();
    p.max_age = Some(verify::parse_duration("1d").expect("duration"));
    let keys = [public("test-key.pub")];
    // The stale one alone fails; with a fresh one beside it, the fresh one decides; a forged
    // one is ignored.
    assert!(verify::verify_newest(&[signed(&old)], &keys, &p).is_err());
    let ok = verify::verify_newest(&[forged.clone(), signed(&old), signed(&fresh)], &keys, &p)
        .expect("the fresh one");
    assert_eq!(ok.trusted.finished.to_string(), "2023-11-14T22:13:20Z");
    assert!(matches!(
        verify::verify_newest(&[forged], &keys, &p),
        Err(AttestError::Rejected(Rejection::Signature(_)))
    ));
}

#[test]
fn sbom_reports_and_bad_subjects_are_errors() {
    let mut report = crate::alpine_report();
    report.kind = drydock_report::ReportKind::Sbom;
    assert!(statement::vuln_statement(&report, &subject(), &StatementOptions::default()).is_err());
    for bad in ["alpine:3.7", "app@sha256:123", "sha256:zz"] {
        assert!(bad.parse::<SubjectRef>().is_err(), "{bad}");
    }
    let bare: SubjectRef = DIGEST.parse().expect("a bare digest");
    assert_eq!(bare.subject().name, None);
}
