//! Misconfigurations and secrets through the vulnerabilities' policy (`decide_checks`): ignore
//! entries by check id, Trivy id or fingerprint, `--severity`, `--fail-on`, and the notices.

use drydock_match::Severity;
use drydock_policy::{
    CheckSubject, CheckVerdict, Date, IgnoreFile, Policy, PolicyNoticeKind, Verdict, decide,
    decide_checks,
};

use crate::{discover, parse, sample, today};

/// The root-user check (Trivy DS-0002) on a Dockerfile, and a private key in an image layer.
fn subjects() -> Vec<CheckSubject> {
    vec![
        CheckSubject {
            id: "DD-101".into(),
            aliases: vec!["DS-0002".into(), "AVD-DS-0002".into(), "DS002".into()],
            fingerprint: "0a1b2c3d4e5f60718293a4b5c6d7e8f9".into(),
            path: Some("app/Dockerfile".into()),
            severity: Severity::High,
        },
        CheckSubject {
            id: "DD-306".into(),
            aliases: Vec::new(),
            fingerprint: "ffeeddccbbaa99887766554433221100".into(),
            path: Some("root/.ssh/id_rsa".into()),
            severity: Severity::Critical,
        },
    ]
}

fn run(
    ignore: Option<IgnoreFile>,
    policy: Policy,
) -> (Vec<CheckVerdict>, Vec<(PolicyNoticeKind, String)>) {
    let policy = Policy { ignore, ..policy };
    let mut notices = decide(sample(), &policy, today()).expect("decides").notices;
    let v = decide_checks(&subjects(), &policy, today(), &mut notices);
    let mut kinds: Vec<_> = notices.into_iter().map(|n| (n.kind, n.id)).collect();
    kinds.sort_by(|a, b| a.1.cmp(&b.1));
    (v, kinds)
}

fn verdicts(v: &[CheckVerdict]) -> Vec<Verdict> {
    v.iter().map(|v| v.verdict).collect()
}

#[test]
fn trivyignore_ids_in_every_spelling_suppress_the_check() {
    for id in ["DS002", "AVD-DS-0002", "DS-0002", "dd-101"] {
        let ignore = discover(
            ".trivyignore",
            &format!("# runs as root on purpose\n{id}\n"),
        );
        let (v, notices) = run(Some(ignore), Policy::default());
        assert_eq!(verdicts(&v), [Verdict::Suppressed, Verdict::Fail], "{id}");
        assert_eq!(v[0].reason.as_deref(), Some("runs as root on purpose"));
        let by = v[0].suppressed_by.as_deref().unwrap_or_default();
        assert!(by.ends_with(".trivyignore:2"), "{by}");
        // Used by a check: not reported unused (the vulnerabilities did not use it).
        assert!(
            !notices.iter().any(|(k, _)| *k == PolicyNoticeKind::Unused),
            "{id}: {notices:?}"
        );
    }
}

#[test]
fn trivyignore_yaml_misconfigurations_and_secrets_sections_suppress() {
    let ignore = discover(
        ".trivyignore.yaml",
        "misconfigurations:\n  - id: AVD-DS-0002\n    paths:\n      - app/Dockerfile\n    statement: the entrypoint drops privileges\nsecrets:\n  - id: DD-306\n    paths:\n      - other/dir\n",
    );
    let (v, notices) = run(Some(ignore), Policy::default());
    // The secret entry's path is elsewhere: it matches nothing and says so.
    assert_eq!(verdicts(&v), [Verdict::Suppressed, Verdict::Fail]);
    assert_eq!(
        v[0].reason.as_deref(),
        Some("the entrypoint drops privileges")
    );
    assert!(notices.contains(&(PolicyNoticeKind::Unused, "DD-306".to_string())));
    assert!(!notices.contains(&(PolicyNoticeKind::Unused, "AVD-DS-0002".to_string())));
}

#[test]
fn drydock_ignore_file_by_fingerprint_alone_or_narrowing_an_id() {
    let ignore = parse(
        "ignore:\n  - id: DD-306\n    fingerprint: ffeeddccbbaa99887766554433221100\n    reason: a test key, revoked\n    expires: 2030-01-01\n  - id: 0a1b2c3d4e5f60718293a4b5c6d7e8f9\n    reason: the entrypoint drops privileges\n    expires: 2030-01-01\n",
    )
    .expect("parses");
    let (v, _) = run(Some(ignore), Policy::default());
    assert_eq!(verdicts(&v), [Verdict::Suppressed, Verdict::Suppressed]);
    assert_eq!(v[1].reason.as_deref(), Some("a test key, revoked"));
    assert_eq!(v[1].expires.as_deref(), Some("2030-01-01"));
    // Another fingerprint under the same id does not match.
    let ignore = parse(
        "ignore:\n  - id: DD-306\n    fingerprint: 00000000000000000000000000000000\n    reason: another key\n    expires: 2030-01-01\n",
    )
    .expect("parses");
    let (v, notices) = run(Some(ignore), Policy::default());
    assert_eq!(verdicts(&v), [Verdict::Fail, Verdict::Fail]);
    assert!(notices.contains(&(PolicyNoticeKind::Unused, "DD-306".to_string())));
}

#[test]
fn expired_and_package_entries_do_not_suppress_checks() {
    let ignore = parse(
        "ignore:\n  - id: DD-101\n    reason: was fine\n    expires: 2025-01-01\n  - id: DD-306\n    package: openssl\n    reason: wrong kind\n    expires: 2030-01-01\n",
    )
    .expect("parses");
    let (v, notices) = run(Some(ignore), Policy::default());
    assert_eq!(verdicts(&v), [Verdict::Fail, Verdict::Fail]);
    let expired: Vec<_> = notices
        .iter()
        .filter(|(k, _)| *k == PolicyNoticeKind::Expired)
        .collect();
    assert_eq!(
        expired,
        [&(PolicyNoticeKind::Expired, "DD-101".to_string())]
    );
}

#[test]
fn severity_and_fail_on_apply_as_to_vulnerabilities() {
    let policy = Policy {
        severities: Some([Severity::Critical].into_iter().collect()),
        ..Policy::default()
    };
    let (v, _) = run(None, policy);
    assert_eq!(verdicts(&v), [Verdict::Filtered, Verdict::Fail]);
    assert!(
        v[0].reason
            .as_deref()
            .is_some_and(|r| r.contains("--severity CRITICAL"))
    );
    let policy = Policy {
        fail_on: Some(Severity::Critical),
        ..Policy::default()
    };
    let (v, _) = run(None, policy);
    assert_eq!(verdicts(&v), [Verdict::Report, Verdict::Fail]);
}

/// `fingerprint:` narrows a vulnerability entry the same way.
#[test]
fn fingerprint_narrows_a_vulnerability_entry() {
    let f = sample();
    let text = format!(
        "ignore:\n  - id: {}\n    fingerprint: {}\n    reason: r\n    expires: 2030-01-01\n  - id: {}\n    fingerprint: 00\n    reason: r\n    expires: 2030-01-01\n",
        f[0].id, f[0].fingerprint, f[1].id
    );
    let policy = Policy {
        ignore: Some(parse(&text).expect("parses")),
        ..Policy::default()
    };
    let out = decide(f, &policy, Date::new(2025, 6, 1).expect("date")).expect("decides");
    assert_eq!(out.decisions[0].verdict, Verdict::Suppressed);
    assert_ne!(out.decisions[1].verdict, Verdict::Suppressed);
}
