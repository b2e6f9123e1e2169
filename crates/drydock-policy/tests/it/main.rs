//! Policy: ignore files (drydock's and Trivy's), VEX, filters and the gate.

mod checks;

use std::collections::BTreeSet;

use drydock_match::{Finding, FindingStatus, Severity, SeveritySource, fingerprint};
use drydock_package::{Ecosystem, Location};
use drydock_policy::{
    Date, IgnoreFile, Policy, PolicyError, PolicyNoticeKind, PolicyOutcome, SeveritySourceChoice,
    Verdict, VexDoc, decide,
};

fn finding(
    package: &str,
    id: &str,
    aliases: &[&str],
    severity: Severity,
    fixed: Option<&str>,
) -> Finding {
    Finding {
        target: "img".into(),
        ecosystem: Ecosystem::Pypi,
        package: package.into(),
        installed: "1.0".into(),
        source_package: None,
        purl: format!("pkg:pypi/{package}@1.0"),
        id: id.into(),
        aliases: aliases.iter().map(|s| s.to_string()).collect(),
        fixed: fixed.map(String::from),
        status: if fixed.is_some() {
            FindingStatus::Fixed
        } else {
            FindingStatus::Unfixed
        },
        severity,
        severity_source: SeveritySource::Nvd,
        environmental_severity: None,
        cvss: Vec::new(),
        title: None,
        description: None,
        primary_url: None,
        references: Vec::new(),
        published: None,
        modified: None,
        cwes: Vec::new(),
        locations: vec![Location::new(
            Some("sha256:aa".into()),
            format!("usr/lib/python3/site-packages/{package}-1.0.dist-info/METADATA"),
        )],
        evidence: None,
        fingerprint: fingerprint("img", Ecosystem::Pypi, package, id),
    }
}

fn sample() -> Vec<Finding> {
    vec![
        finding(
            "django",
            "CVE-2024-0001",
            &["GHSA-aaaa-bbbb-cccc", "PYSEC-2024-1"],
            Severity::High,
            Some("4.2.1"),
        ),
        finding("jinja2", "CVE-2024-0002", &[], Severity::Medium, None),
        finding(
            "urllib3",
            "CVE-2024-0003",
            &[],
            Severity::Low,
            Some("2.0.7"),
        ),
    ]
}

fn today() -> Date {
    Date::new(2025, 6, 1).expect("a valid date")
}

/// Loads the ignore file `name` holding `text` from a directory of its own.
fn load(name: &str, text: &str) -> Result<IgnoreFile, PolicyError> {
    let tmp = tempfile::tempdir().expect("tmp");
    let p = tmp.path().join(name);
    std::fs::write(&p, text).expect("writes");
    IgnoreFile::load(&p)
}

/// The ignore file `IgnoreFile::discover` finds in a directory holding only `name` with `text`.
fn discover(name: &str, text: &str) -> IgnoreFile {
    let tmp = tempfile::tempdir().expect("tmp");
    std::fs::write(tmp.path().join(name), text).expect("writes");
    IgnoreFile::discover(tmp.path())
        .expect("loads")
        .expect("found")
}

/// A drydock ignore file `f.yaml` holding `text`.
fn parse(text: &str) -> Result<IgnoreFile, PolicyError> {
    IgnoreFile::parse(text, "f.yaml", drydock_policy::IgnoreFormat::Drydock)
}

/// The decisions on [`sample`] under `ignore` alone.
fn decide_ignoring(ignore: IgnoreFile) -> PolicyOutcome {
    let policy = Policy {
        ignore: Some(ignore),
        ..Policy::default()
    };
    decide(sample(), &policy, today()).expect("decides")
}

/// The decisions on [`sample`] under `vex` alone.
fn decide_with_vex(vex: VexDoc) -> PolicyOutcome {
    let policy = Policy {
        vex: vec![vex],
        ..Policy::default()
    };
    decide(sample(), &policy, today()).expect("decides")
}

fn verdicts(o: &PolicyOutcome) -> Vec<(&str, Verdict)> {
    o.decisions
        .iter()
        .map(|d| (d.finding.package.as_str(), d.verdict))
        .collect()
}

/// What [`verdicts`] gives when [`sample`]'s findings get these verdicts.
fn sample_verdicts(
    django: Verdict,
    jinja2: Verdict,
    urllib3: Verdict,
) -> Vec<(&'static str, Verdict)> {
    vec![("django", django), ("jinja2", jinja2), ("urllib3", urllib3)]
}

/// The reason given for the `i`th decision.
fn reason(o: &PolicyOutcome, i: usize) -> Option<&str> {
    o.decisions[i].reason.as_deref()
}

#[test]
fn ignore_entry_suppresses_with_reason_and_expiry() {
    let ignore = load(".drydockignore.yaml", "ignore:\n  # by alias, narrowed to the package\n  - id: GHSA-aaaa-bbbb-cccc\n    package: djan*\n    path: usr/lib/python3\n    reason: admin site disabled\n    expires: 2025-06-01\n").expect("loads");
    let out = decide_ignoring(ignore);
    let d = &out.decisions[0];
    assert_eq!(d.verdict, Verdict::Suppressed);
    assert_eq!(d.reason.as_deref(), Some("admin site disabled"));
    assert_eq!(d.expires.as_deref(), Some("2025-06-01"));
    let src = d.suppressed_by.as_deref().expect("a source");
    assert!(src.ends_with(".drydockignore.yaml:3"), "{src}");
    assert!(out.notices.is_empty(), "{:?}", out.notices);
    // The others fail the gate (no --fail-on: any reported finding fails).
    assert_eq!(
        verdicts(&out),
        sample_verdicts(Verdict::Suppressed, Verdict::Fail, Verdict::Fail)
    );
    assert!(out.gate_failed);
}

#[test]
fn ignore_entry_without_reason_is_an_error_naming_file_and_line() {
    let e = load(".drydockignore.yaml", "ignore:\n  - id: CVE-2024-0001\n    reason: fine\n    expires: 2026-01-01\n  - id: CVE-2024-0002\n    expires: 2026-01-01\n").expect_err("no reason");
    assert!(
        matches!(
            e,
            PolicyError::MissingField {
                line: 5,
                field: "reason",
                ..
            }
        ),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(
        msg.contains(".drydockignore.yaml`:5") && msg.contains("`CVE-2024-0002`"),
        "{msg}"
    );
}

#[test]
fn ignore_entry_without_expiry_is_an_error() {
    let e = parse("ignore:\n  - id: CVE-2024-0001\n    reason: fine\n").expect_err("no expiry");
    assert!(
        matches!(
            e,
            PolicyError::MissingField {
                line: 2,
                field: "expires",
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn bad_date_is_an_error_with_its_line() {
    let e = parse("ignore:\n  - id: CVE-2024-0001\n    reason: fine\n    expires: 2026-02-30\n")
        .expect_err("no such day");
    assert!(matches!(e, PolicyError::BadDate { line: 4, .. }), "{e:?}");
}

#[test]
fn malformed_file_is_an_error() {
    let e = parse("ignore:\n  - id: [CVE-2024-0001\n").expect_err("not YAML");
    assert!(
        matches!(e, PolicyError::Syntax { line, .. } if line > 0),
        "{e:?}"
    );
}

#[test]
fn expired_entry_is_reported_and_does_not_suppress() {
    let ignore = parse("ignore:\n  - id: CVE-2024-0002\n    reason: waiting for upstream\n    expires: 2025-05-31\n")
    .expect("parses");
    let out = decide_ignoring(ignore);
    assert_eq!(out.decisions[1].verdict, Verdict::Fail);
    assert_eq!(out.notices.len(), 1, "{:?}", out.notices);
    let n = &out.notices[0];
    assert_eq!(
        (n.kind, n.id.as_str(), n.source.as_str()),
        (PolicyNoticeKind::Expired, "CVE-2024-0002", "f.yaml:2")
    );
}

#[test]
fn unused_entry_is_reported() {
    let ignore = parse("ignore:\n  - id: CVE-2024-0001\n    package: flask\n    reason: r\n    expires: 2030-01-01\n  - id: CVE-2024-0003\n    reason: r\n    expires: 2030-01-01\n")
    .expect("parses");
    let out = decide_ignoring(ignore);
    // The first names another package: django is not suppressed and the entry is unused.
    assert_eq!(out.decisions[0].verdict, Verdict::Fail);
    assert_eq!(out.decisions[2].verdict, Verdict::Suppressed);
    let kinds: Vec<_> = out
        .notices
        .iter()
        .map(|n| (n.kind, n.source.as_str()))
        .collect();
    assert_eq!(kinds, vec![(PolicyNoticeKind::Unused, "f.yaml:2")]);
}

#[test]
fn trivyignore_plain_is_read() {
    let ignore = discover(
        ".trivyignore",
        "# Accept the risk\nCVE-2024-0001\n\nCVE-2024-0002 exp:2025-01-01\nPYSEC-2024-1\n",
    );
    let out = decide_ignoring(ignore);
    assert_eq!(out.decisions[0].verdict, Verdict::Suppressed);
    assert_eq!(reason(&out, 0), Some("Accept the risk"));
    // Expired on 2025-01-01: reported and failing again.
    assert_eq!(out.decisions[1].verdict, Verdict::Fail);
    let kinds: Vec<_> = out
        .notices
        .iter()
        .map(|n| (n.kind, n.source.rsplit('/').next().unwrap_or_default()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (PolicyNoticeKind::Expired, ".trivyignore:4"),
            // Issue 13: one notice for the file, not one per entry without reason or expiry
            // (the first has no expiry, the second no reason, PYSEC-2024-1 neither).
            (PolicyNoticeKind::Unjustified, ".trivyignore"),
        ]
    );
    let unjustified = out.notices.last().expect("a notice");
    assert!(
        unjustified
            .message
            .starts_with("3 entries have no reason or expiry date"),
        "{}",
        unjustified.message
    );
    assert_eq!(unjustified.id, "CVE-2024-0001,CVE-2024-0002,PYSEC-2024-1");
    // Without a reason the reason says so; where the entry is stays in `suppressed_by`.
    let out = decide_ignoring(discover(".trivyignore", "CVE-2024-0001\n"));
    assert_eq!(out.decisions[0].verdict, Verdict::Suppressed);
    assert_eq!(reason(&out, 0), Some("no reason given"));
    let by = out.decisions[0]
        .suppressed_by
        .as_deref()
        .unwrap_or_default();
    assert!(by.ends_with(".trivyignore:1"), "{by}");
}

#[test]
fn trivyignore_yaml_is_read() {
    let ignore = discover(
        ".trivyignore.yaml",
        "vulnerabilities:\n  - id: CVE-2024-0002\n    paths:\n      - \"usr/lib/python3/site-packages/jinja2-1.0.dist-info/METADATA\"\n    statement: Accept the risk\n    expired_at: 2026-01-01\n  - id: CVE-2024-0003\n    purls:\n      - \"pkg:pypi/urllib3\"\n    statement: not exposed\n    expired_at: 2026-01-01\n  - id: CVE-2024-0001\n    purls:\n      - \"pkg:pypi/flask\"\n    expired_at: 2026-01-01\nmisconfigurations:\n  - id: AVD-DS-0001\n",
    );
    let out = decide_ignoring(ignore);
    assert_eq!(
        verdicts(&out),
        sample_verdicts(Verdict::Fail, Verdict::Suppressed, Verdict::Suppressed)
    );
    assert_eq!(reason(&out, 2), Some("not exposed"));
    let kinds: Vec<_> = out
        .notices
        .iter()
        .map(|n| (n.kind, n.id.as_str()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (PolicyNoticeKind::Unused, "CVE-2024-0001"),
            // The `misconfigurations:` entry is read too; no misconfiguration was decided.
            (PolicyNoticeKind::Unused, "AVD-DS-0001"),
            (PolicyNoticeKind::Unjustified, "CVE-2024-0001,AVD-DS-0001")
        ]
    );
}

#[test]
fn openvex_not_affected_suppresses() {
    let doc = r#"{
      "@context": "https://openvex.dev/ns/v0.2.0",
      "@id": "https://example.invalid/vex-1",
      "author": "Security team",
      "timestamp": "2025-01-01T00:00:00Z",
      "version": 1,
      "statements": [
        {"vulnerability": {"name": "GHSA-aaaa-bbbb-cccc"},
         "products": [{"@id": "pkg:oci/app@sha256%3Aabc", "subcomponents": [{"@id": "pkg:pypi/django@1.0"}]}],
         "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"},
        {"vulnerability": {"name": "CVE-2024-0002"},
         "products": [{"@id": "pkg:pypi/jinja2"}],
         "status": "under_investigation"},
        {"vulnerability": {"name": "CVE-2024-0003"},
         "products": [{"@id": "pkg:pypi/urllib3"}],
         "status": "not_affected", "justification": "component_not_present"},
        {"vulnerability": {"name": "CVE-2024-0003"},
         "products": [{"@id": "pkg:pypi/urllib3"}],
         "status": "affected", "action_statement": "upgrade"}
      ]
    }"#;
    let vex = VexDoc::parse(doc.as_bytes(), "app.openvex.json").expect("parses");
    let out = decide_with_vex(vex);
    // urllib3: the later `affected` statement overrides the earlier `not_affected`.
    assert_eq!(
        verdicts(&out),
        sample_verdicts(Verdict::Suppressed, Verdict::Fail, Verdict::Fail)
    );
    assert_eq!(reason(&out, 0), Some("vulnerable_code_not_in_execute_path"));
    assert_eq!(
        out.decisions[0].suppressed_by.as_deref(),
        Some("app.openvex.json")
    );
}

#[test]
fn cyclonedx_vex_suppresses() {
    let doc = r#"{
      "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
      "components": [{"type": "library", "bom-ref": "jinja2-ref", "name": "jinja2", "version": "1.0", "purl": "pkg:pypi/jinja2@1.0"}],
      "vulnerabilities": [
        {"id": "CVE-2024-0002", "analysis": {"state": "not_affected", "justification": "code_not_reachable", "detail": "templates are static"},
         "affects": [{"ref": "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#jinja2-ref"}]},
        {"id": "CVE-2024-0003", "analysis": {"state": "resolved"}, "affects": [{"ref": "pkg:pypi/urllib3@1.0"}]},
        {"id": "CVE-2024-0001", "analysis": {"state": "exploitable"}, "affects": [{"ref": "pkg:pypi/django@1.0"}]}
      ]
    }"#;
    let vex = VexDoc::parse(doc.as_bytes(), "bom.cdx.json").expect("parses");
    let out = decide_with_vex(vex);
    assert_eq!(
        verdicts(&out),
        sample_verdicts(Verdict::Fail, Verdict::Suppressed, Verdict::Suppressed)
    );
    assert_eq!(
        reason(&out, 1),
        Some("code_not_reachable: templates are static")
    );
}

#[test]
fn fail_on_high_with_only_medium_passes_but_reports() {
    let findings = vec![
        finding("jinja2", "CVE-2024-0002", &[], Severity::Medium, None),
        finding(
            "urllib3",
            "CVE-2024-0003",
            &[],
            Severity::Medium,
            Some("2.0.7"),
        ),
    ];
    let policy = Policy {
        fail_on: Some(Severity::High),
        ..Policy::default()
    };
    let out = decide(findings.clone(), &policy, today()).expect("decides");
    assert!(!out.gate_failed);
    assert_eq!(
        verdicts(&out),
        vec![("jinja2", Verdict::Report), ("urllib3", Verdict::Report)]
    );
    // At the threshold it fails.
    let mut high = findings;
    high[1].severity = Severity::High;
    let out = decide(high, &policy, today()).expect("decides");
    assert!(out.gate_failed);
    assert_eq!(out.decisions[1].verdict, Verdict::Fail);
}

#[test]
fn fixable_only_counts_findings_with_a_fix() {
    let policy = Policy {
        fixable_only: true,
        ..Policy::default()
    };
    let unfixed = vec![finding(
        "jinja2",
        "CVE-2024-0002",
        &[],
        Severity::Critical,
        None,
    )];
    let out = decide(unfixed, &policy, today()).expect("decides");
    assert!(!out.gate_failed);
    assert_eq!(out.decisions[0].verdict, Verdict::Report);
    let out = decide(sample(), &policy, today()).expect("decides");
    assert!(out.gate_failed);
    assert_eq!(
        verdicts(&out),
        sample_verdicts(Verdict::Fail, Verdict::Report, Verdict::Fail)
    );
}

#[test]
fn severity_and_unfixed_filters_keep_findings_with_a_reason() {
    let policy = Policy {
        severities: Some(BTreeSet::from([Severity::High, Severity::Critical])),
        ignore_unfixed: true,
        ..Policy::default()
    };
    let mut findings = sample();
    findings[1].severity = Severity::Critical;
    let out = decide(findings, &policy, today()).expect("decides");
    assert_eq!(
        verdicts(&out),
        sample_verdicts(Verdict::Fail, Verdict::Filtered, Verdict::Filtered)
    );
    assert_eq!(reason(&out, 1), Some("unfixed (--ignore-unfixed)"));
    assert_eq!(
        reason(&out, 2),
        Some("severity LOW not in --severity CRITICAL,HIGH")
    );
}

#[test]
fn environmental_severity_drives_the_gate_when_chosen() {
    let mut f = finding(
        "django",
        "CVE-2024-0001",
        &[],
        Severity::Critical,
        Some("4.2.1"),
    );
    f.environmental_severity = Some(Severity::Medium);
    let mut policy = Policy {
        fail_on: Some(Severity::High),
        ..Policy::default()
    };
    assert!(
        decide(vec![f.clone()], &policy, today())
            .expect("decides")
            .gate_failed
    );
    policy.severity_source = SeveritySourceChoice::Environmental;
    assert!(
        !decide(vec![f], &policy, today())
            .expect("decides")
            .gate_failed
    );
}

/// Issue 20: `--linked-only` filters findings whose code is not in the binary, with the
/// evidence as reason; present and unknown evidence, and no evidence, stay reported.
#[test]
fn issue_20_linked_only() {
    use drydock_match::Reachability;
    let with = |name: &str, e: Option<Reachability>| {
        let mut f = finding(
            name,
            &format!("CVE-{name}"),
            &[],
            Severity::High,
            Some("1.2"),
        );
        f.evidence = e;
        f
    };
    let findings = vec![
        with(
            "a",
            Some(Reachability::PackageNotLinked {
                packages: vec!["net/smtp".into()],
            }),
        ),
        with(
            "b",
            Some(Reachability::PackageLinkedSymbolsAbsent {
                packages: vec!["net/http".into()],
            }),
        ),
        with(
            "c",
            Some(Reachability::SymbolsPresent {
                symbols: vec!["net/url.Parse".into()],
            }),
        ),
        with(
            "d",
            Some(Reachability::Unknown {
                reason: "corrupt".into(),
            }),
        ),
        with("e", None),
    ];
    let off = decide(findings.clone(), &Policy::default(), today()).expect("decides");
    assert!(off.decisions.iter().all(|d| d.verdict == Verdict::Fail));
    let on = Policy {
        linked_only: true,
        ..Policy::default()
    };
    let o = decide(findings, &on, today()).expect("decides");
    assert_eq!(
        verdicts(&o),
        [
            ("a", Verdict::Filtered),
            ("b", Verdict::Filtered),
            ("c", Verdict::Fail),
            ("d", Verdict::Fail),
            ("e", Verdict::Fail),
        ]
    );
    assert_eq!(
        o.decisions[0].reason.as_deref(),
        Some("net/smtp not linked into the binary (--linked-only)")
    );
}
