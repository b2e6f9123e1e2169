//! The CI failure issue: CRITICAL beats HIGH (their jq sorted severity as text), then CVSS,
//! then id; one issue per (image, kind); a repeat comments; the run URL from the CI variables.

use drydock_forge::failure::{
    FailureOptions, Filed, ci_run_url, failure_issue, file_failure_issue,
};
use drydock_match::{CvssScore, Finding, FindingStatus, Severity, SeveritySource};
use drydock_package::Ecosystem;
use drydock_policy::{Decision, Verdict};
use drydock_report::{Gate, Report, ReportKind, TargetReport};

use crate::fake::{Dialect, Fake, TOKEN};
use crate::sync::forge_for;

fn decision(id: &str, pkg: &str, sev: Severity, score: Option<f64>, verdict: Verdict) -> Decision {
    Decision {
        finding: Finding {
            target: "app:latest".into(),
            ecosystem: Ecosystem::Deb,
            package: pkg.into(),
            installed: "1.0-1".into(),
            source_package: None,
            purl: format!("pkg:deb/debian/{pkg}@1.0-1"),
            id: id.into(),
            aliases: Vec::new(),
            fixed: Some("1.0-2".into()),
            status: FindingStatus::Fixed,
            severity: sev,
            severity_source: SeveritySource::Nvd,
            environmental_severity: None,
            cvss: score
                .map(|s| CvssScore {
                    source: "nvd@nist.gov".into(),
                    version: "3.1".into(),
                    vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into(),
                    base_score: s,
                    base_severity: sev,
                    environmental_vector: None,
                    environmental_score: None,
                    environmental_severity: None,
                })
                .into_iter()
                .collect(),
            title: Some(format!("{pkg} flaw")),
            description: None,
            primary_url: Some(format!("https://nvd.nist.gov/vuln/detail/{id}")),
            references: Vec::new(),
            published: None,
            modified: None,
            cwes: Vec::new(),
            locations: Vec::new(),
            evidence: None,
            fingerprint: String::new(),
        },
        verdict,
        reason: None,
        suppressed_by: None,
        expires: None,
    }
}

fn report(findings: Vec<Decision>) -> Report {
    let mut r = Report::new(ReportKind::Vulnerability, "2026-12-04T00:00:00Z");
    let mut t = TargetReport::new("registry.example/team/app:latest", "registry");
    t.findings = findings;
    r.targets.push(t);
    r.gate = Some(Gate {
        failed: true,
        fail_on: Some(Severity::High),
        counted: 3,
    });
    r
}

#[test]
fn critical_beats_high_then_cvss_then_id() {
    let r = report(vec![
        // A HIGH with the top CVSS: text order ("HIGH" > "CRITICAL") would pick it.
        decision(
            "CVE-2024-0001",
            "openssl",
            Severity::High,
            Some(9.9),
            Verdict::Fail,
        ),
        decision(
            "CVE-2024-0300",
            "zlib1g",
            Severity::Critical,
            Some(9.1),
            Verdict::Fail,
        ),
        decision(
            "CVE-2024-0200",
            "libxml2",
            Severity::Critical,
            Some(9.8),
            Verdict::Fail,
        ),
        decision(
            "CVE-2024-0100",
            "curl",
            Severity::Critical,
            Some(9.8),
            Verdict::Fail,
        ),
        decision(
            "CVE-2024-0999",
            "bash",
            Severity::Critical,
            None,
            Verdict::Report,
        ),
    ]);
    let opts = FailureOptions {
        run_url: Some("https://ci.example/run/1".into()),
        ..FailureOptions::default()
    };
    let f = failure_issue(&r, "org/repo", &opts).expect("gate failed");
    let p = f.primary.as_ref().expect("primary");
    assert_eq!(
        (p.id.as_str(), p.severity),
        ("CVE-2024-0100", Severity::Critical)
    );
    assert_eq!(
        f.title,
        "security scan regression: CVE-2024-0100 in curl@1.0-1"
    );
    assert_eq!(f.findings, 4, "only findings that fail the gate");
    assert!(f.body.contains("https://ci.example/run/1"));
    assert!(f.body.contains("- [ ] "), "a triage checklist");
    assert_eq!(f.labels, ["security"]);
    // Not failed: no issue.
    let mut ok = r.clone();
    ok.gate = Some(Gate {
        failed: false,
        fail_on: None,
        counted: 0,
    });
    assert!(failure_issue(&ok, "org/repo", &opts).is_none());
}

#[test]
fn the_table_is_capped_with_a_count() {
    let many: Vec<Decision> = (0..150)
        .map(|i| {
            decision(
                &format!("CVE-2024-{i:04}"),
                "p",
                Severity::High,
                None,
                Verdict::Fail,
            )
        })
        .collect();
    let f = failure_issue(&report(many), "org/repo", &FailureOptions::default()).expect("issue");
    assert_eq!(f.body.matches("| HIGH |").count(), 100);
    assert!(f.body.contains("…and 50 more"));
}

#[test]
fn run_url_from_github_actions_or_gitlab_ci() {
    let gh = |k: &str| match k {
        "GITHUB_SERVER_URL" => Some("https://github.com".to_string()),
        "GITHUB_REPOSITORY" => Some("org/app".to_string()),
        "GITHUB_RUN_ID" => Some("42".to_string()),
        _ => None,
    };
    assert_eq!(
        ci_run_url(gh).as_deref(),
        Some("https://github.com/org/app/actions/runs/42")
    );
    let gl =
        |k: &str| (k == "CI_JOB_URL").then(|| "https://gitlab.example/g/p/-/jobs/7".to_string());
    assert_eq!(
        ci_run_url(gl).as_deref(),
        Some("https://gitlab.example/g/p/-/jobs/7")
    );
    assert_eq!(ci_run_url(|_| None), None);
}

#[test]
fn a_repeat_comments_instead_of_opening_another_issue() {
    for dialect in [Dialect::Github, Dialect::Gitlab, Dialect::Gitea] {
        let fake = Fake::start(dialect);
        let mut forge = forge_for(&fake, TOKEN);
        let r = report(vec![decision(
            "CVE-2024-0001",
            "openssl",
            Severity::High,
            None,
            Verdict::Fail,
        )]);
        let f = failure_issue(&r, "org/cve-reports", &FailureOptions::default()).expect("issue");
        let first = file_failure_issue(forge.as_mut(), &f).expect("file");
        let Filed::Created(n) = first else {
            panic!("{first:?}")
        };
        // Another failure with another primary finding: the same issue, a comment.
        let r2 = report(vec![decision(
            "CVE-2024-0002",
            "zlib1g",
            Severity::Critical,
            None,
            Verdict::Fail,
        )]);
        let f2 = failure_issue(&r2, "org/cve-reports", &FailureOptions::default()).expect("issue");
        assert_eq!(
            file_failure_issue(forge.as_mut(), &f2).expect("file"),
            Filed::Commented(n)
        );
        assert_eq!(fake.issues().len(), 1, "{dialect:?}");
        let i = fake.issue(n);
        assert_eq!(i.comments.len(), 1);
        assert!(i.comments[0].contains("CVE-2024-0002"));
        assert!(i.labels.contains(&"security".to_string()));
        // Closed (fixed) and failing again: a new issue.
        fake.edit(n, |i| i.state = "closed".into());
        assert!(
            matches!(file_failure_issue(forge.as_mut(), &f2).expect("file"), Filed::Created(m) if m != n)
        );
    }
}
