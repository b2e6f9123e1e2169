//! Triage at scan time on real scans of the corpus image: accepted in release A, still
//! accepted in release B (the same repository); expired: counted again; records that matched
//! nothing reported unused (the CLI's fleet test has release B as a new tag and rebuilt image).

use std::sync::Arc;

use drydock_policy::{Date, Verdict};
use drydock_store::TriageFilter;
use drydock_triage::{Triage, TriageInput, TriageSuppressor};

use crate::data::{corpus_archive, scan_with, stores};

fn d(s: &str) -> Date {
    s.parse().expect("a date")
}

#[test]
fn acceptance_survives_releases_and_expires() {
    let Some(image) = corpus_archive() else {
        return;
    };
    let today = d("2026-06-01");
    let plain = scan_with(&image, &["A"], None, today);
    let repository = plain.repository.clone();
    let findings = &plain.report.targets[0].findings;
    assert!(plain.gate_failed, "the corpus image has findings");
    let first = findings
        .iter()
        .find(|f| f.verdict == Verdict::Fail && f.finding.id.starts_with("CVE-"))
        .expect("a failing CVE finding");
    let (pkg, vuln) = (first.finding.package.clone(), first.finding.id.clone());
    let same = |f: &drydock_policy::Decision| f.finding.package == pkg && f.finding.id == vuln;
    let same_count = findings.iter().filter(|f| same(f)).count();

    for mut t in stores() {
        let s = &mut t.store;
        let rec = Triage::validate(
            TriageInput {
                scope: "image".into(),
                repository: Some(repository.clone()),
                package: pkg.clone(),
                vuln_id: vuln.clone(),
                state: "accepted".into(),
                reason: Some("not reachable from outside".into()),
                expires: Some("2026-07-01".into()),
                ..TriageInput::default()
            },
            today,
        )
        .expect("valid");
        let id = drydock_triage::set(s, &rec, "alice", 1)
            .expect("set")
            .record
            .id;
        // A release-scoped record for another finding applies in release A only.
        let other = findings
            .iter()
            .find(|f| !same(f))
            .expect("a second finding");
        let rel = Triage::validate(
            TriageInput {
                scope: "release".into(),
                release: Some("A".into()),
                package: other.finding.package.clone(),
                vuln_id: drydock_match::identity::vulnerability_id(
                    &other.finding.id,
                    &other.finding.aliases,
                ),
                state: "false_positive".into(),
                reason: Some("wrong binary".into()),
                ..TriageInput::default()
            },
            today,
        )
        .expect("valid");
        drydock_triage::set(s, &rel, "alice", 2).expect("set");
        // One that matches nothing is reported as unused.
        let unused = Triage::validate(
            TriageInput {
                scope: "all".into(),
                package: "no-such-package".into(),
                vuln_id: "CVE-1999-0001".into(),
                state: "waiting".into(),
                ..TriageInput::default()
            },
            today,
        )
        .expect("valid");
        let unused_all = drydock_triage::set(s, &unused, "alice", 3)
            .expect("set")
            .record
            .id;
        // An image record of this repository that matches nothing is unused; one of a
        // repository no scan saw, and a release record of a release no scan saw, are not.
        let record = |scope: &str, repository: Option<&str>, release: Option<&str>| {
            Triage::validate(
                TriageInput {
                    scope: scope.into(),
                    repository: repository.map(str::to_string),
                    release: release.map(str::to_string),
                    package: pkg.clone(),
                    vuln_id: "CVE-1999-0002".into(),
                    state: "affected".into(),
                    ..TriageInput::default()
                },
                today,
            )
            .expect("valid")
        };
        let unused_here =
            drydock_triage::set(s, &record("image", Some(&repository), None), "alice", 4)
                .expect("set")
                .record
                .id;
        drydock_triage::set(
            s,
            &record("image", Some("registry.example/elsewhere"), None),
            "alice",
            5,
        )
        .expect("set");
        drydock_triage::set(s, &record("release", None, Some("C")), "alice", 6).expect("set");

        let sup = Arc::new(TriageSuppressor::from_store(s).expect("records"));
        for (release, day) in [("A", "2026-06-01"), ("B", "2026-07-01")] {
            let out = scan_with(&image, &[release], Some(sup.clone()), d(day));
            let fs = &out.report.targets[0].findings;
            let hit: Vec<_> = fs.iter().filter(|f| same(f)).collect();
            assert_eq!(hit.len(), same_count);
            for f in hit {
                assert_eq!(f.verdict, Verdict::Suppressed, "release {release}");
                assert_eq!(
                    f.suppressed_by.as_deref(),
                    Some(format!("triage #{id}").as_str())
                );
                assert_eq!(f.expires.as_deref(), Some("2026-07-01"));
                assert!(
                    f.reason
                        .as_deref()
                        .is_some_and(|r| r.contains("not reachable"))
                );
            }
            let o = fs
                .iter()
                .find(|f| {
                    f.finding.package == other.finding.package && f.finding.id == other.finding.id
                })
                .expect("the other finding");
            assert_eq!(
                o.verdict == Verdict::Suppressed,
                release == "A",
                "release-scoped record"
            );
        }
        let unused_ids =
            |whole_run| -> Vec<i64> { sup.unused(whole_run).iter().map(|(id, _)| *id).collect() };
        assert_eq!(unused_ids(true), [unused_all, unused_here]);
        // After scans that are not a whole fleet run, an `all` record is not called unused.
        assert_eq!(unused_ids(false), [unused_here]);
        let notices = sup.unused_notices(false);
        assert_eq!(notices.len(), 1);
        assert_eq!(notices[0].source, format!("triage #{unused_here}"));
        assert_eq!(
            notices[0].message,
            format!(
                "triage #{unused_here} (CVE-1999-0002 in {pkg}, image {repository}) matches no \
                 finding: is it still needed?"
            )
        );
        // The day after the expiry: counted again, the gate fails on it, the reason says so.
        let out = scan_with(&image, &["B"], Some(sup.clone()), d("2026-07-02"));
        let hit: Vec<_> = out.report.targets[0]
            .findings
            .iter()
            .filter(|f| same(f))
            .collect();
        for f in &hit {
            assert_eq!(f.verdict, Verdict::Fail);
            assert!(
                f.reason
                    .as_deref()
                    .is_some_and(|r| r.contains("acceptance expired on 2026-07-01")),
                "{:?}",
                f.reason
            );
        }
        assert!(out.gate_failed);
        assert_eq!(
            s.triage_list(&TriageFilter::default()).expect("list").len(),
            6
        );
    }
}
