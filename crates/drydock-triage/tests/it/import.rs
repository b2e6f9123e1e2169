//! Ignore files and handbook pages into triage records, resolved against a real run (the
//! shared Alpine 3.7.3 root filesystem) on both stores; a handbook page written from records reads back
//! as the same decisions.

use drydock_policy::Date;
use drydock_store::{Store, TriageFilter};
use drydock_triage::handbook::{Page, found_in_run, write_page};
use drydock_triage::ignore_import::{
    IgnoreKind, ImportScope, Observed, RuleDefaults, observed_in_latest_run, read, to_triage,
};
use drydock_triage::{State, Triage};

use crate::data::{Img, record_run, stores};

const REF: &str = "registry.example/base:3.7";
const REPO: &str = "registry.example/base";

fn today() -> Date {
    "2026-06-01".parse().expect("a date")
}

fn defaults() -> RuleDefaults {
    RuleDefaults {
        today: today(),
        expires: "2026-11-30".parse().expect("a date"),
        reason: None,
    }
}

fn with_run(store: &mut Store) -> Vec<Observed> {
    run_of(store, "alpine-3.7.3-minirootfs")
}

fn run_of(store: &mut Store, target: &str) -> Vec<Observed> {
    record_run(
        store,
        "run-1",
        1_780_000_000,
        &[(
            "5.3.3",
            vec![Img {
                reference: REF,
                target,
                mirrored: false,
            }],
        )],
    );
    observed_in_latest_run(store)
        .expect("reads")
        .expect("a complete run")
}

#[test]
fn ignore_files_become_records_with_reason_and_expiry() {
    for mut t in stores() {
        let observed = with_run(&mut t.store);
        let o = observed
            .iter()
            .find(|o| o.vuln_id.starts_with("CVE-"))
            .expect("the Alpine 3.7.3 image has CVE findings");
        let trivy = format!(
            "# only reachable from the admin VPN\n# (SEC-1)\n{} exp:2026-09-30\n\n{}\nCVE-1999-0001\n",
            o.vuln_id, o.vuln_id
        );
        let (rules, _) = read(&trivy, ".trivyignore", IgnoreKind::Trivy).expect("parses");
        // The entry without a reason is an error naming its line, unless a default is given.
        let e = to_triage(
            &rules,
            &ImportScope::Image(REPO.into()),
            Some(&observed),
            &defaults(),
        )
        .expect_err("no reason");
        assert!(e.to_string().starts_with(".trivyignore:5: "), "{e}");
        let got = to_triage(
            &rules[..1],
            &ImportScope::Image(REPO.into()),
            Some(&observed),
            &defaults(),
        )
        .expect("imports");
        assert!(got.unmatched.is_empty());
        let r = got
            .records
            .iter()
            .find(|r| r.package == o.package)
            .expect("a record for the finding's package");
        assert_eq!(r.state, State::Accepted);
        assert_eq!(
            r.reason.as_deref(),
            Some("only reachable from the admin VPN (SEC-1)")
        );
        assert_eq!(r.expires, Some("2026-09-30".parse().expect("date")));
        assert_eq!(r.scope, drydock_triage::Scope::Image(REPO.into()));
        assert_eq!(
            r.notes.as_deref(),
            Some(".trivyignore:3")
                .map(|s| format!("imported from {s}"))
                .as_deref()
        );
        // An entry the run does not have is reported, not kept.
        let mut d = defaults();
        d.reason = Some("migrated".into());
        let got = to_triage(&rules, &ImportScope::All, Some(&observed), &d).expect("imports");
        assert_eq!(got.unmatched.len(), 1, "{:?}", got.unmatched);
        assert!(got.unmatched[0].starts_with(".trivyignore:6: `CVE-1999-0001`"));
        for r in &got.records {
            drydock_triage::set(&mut t.store, r, "importer", 1).expect("written");
        }
        assert_eq!(
            t.store
                .triage_list(&TriageFilter::default())
                .expect("list")
                .len(),
            got.records.len()
        );

        // drydock's own file: each entry's reason and expiry kept; a package glob resolves to
        // the packages the run has the vulnerability in; a path pattern travels in the notes.
        let yaml = format!(
            "ignore:\n  - id: {}\n    package: \"{}*\"\n    path: usr/lib\n    reason: \"behind the VPN; SEC-2\"\n    expires: 2026-10-31\n",
            o.vuln_id,
            &o.package[..o.package.len().min(3)]
        );
        let (rules, _) = read(&yaml, ".drydockignore.yaml", IgnoreKind::Drydock).expect("parses");
        let got = to_triage(
            &rules,
            &ImportScope::Image(REPO.into()),
            Some(&observed),
            &defaults(),
        )
        .expect("imports");
        assert!(got.unmatched.is_empty(), "{:?}", got.unmatched);
        let r = got
            .records
            .iter()
            .find(|r| r.package == o.package)
            .expect("a record for the finding's package");
        assert_eq!(
            (r.state, r.reason.as_deref(), r.expires),
            (
                State::Accepted,
                Some("behind the VPN; SEC-2"),
                Some("2026-10-31".parse().expect("date"))
            )
        );
        assert_eq!(
            r.notes.as_deref(),
            Some("imported from .drydockignore.yaml:2 (paths: usr/lib)")
        );

        // Grype: an exact package needs no lookup; a not_affected rule keeps its VEX fields.
        let grype = format!(
            "ignore:\n  - vulnerability: {}\n    reason: not built\n    package:\n      name: {}\n      type: apk\n  - vulnerability: {}\n    vex-status: not_affected\n    vex-justification: vulnerable_code_not_present\n",
            o.vuln_id, o.package, o.vuln_id
        );
        let (rules, _) = read(&grype, ".grype.yaml", IgnoreKind::Grype).expect("parses");
        let got =
            to_triage(&rules, &ImportScope::All, Some(&observed), &defaults()).expect("imports");
        assert_eq!(got.records[0].package, o.package);
        assert_eq!(got.records[0].ecosystem.map(|e| e.as_str()), Some("apk"));
        assert!(
            got.records.iter().any(|r| r.state == State::NotAffected
                && r.reason.as_deref() == Some("vulnerable_code_not_present")),
            "{:?}",
            got.records
        );
    }
}

#[test]
fn expired_and_malformed_entries_are_errors_naming_the_line() {
    let (rules, _) = read(
        "# old\nCVE-2020-1 exp:2020-01-01\n",
        ".trivyignore",
        IgnoreKind::Trivy,
    )
    .expect("parses");
    let observed = vec![Observed {
        repository: REPO.into(),
        ecosystem: "apk".into(),
        package: "musl".into(),
        vuln_id: "CVE-2020-1".into(),
        advisory_id: "CVE-2020-1".into(),
    }];
    let e =
        to_triage(&rules, &ImportScope::All, Some(&observed), &defaults()).expect_err("expired");
    assert!(
        e.to_string()
            .starts_with(".trivyignore:2: expiry `2020-01-01` is in the past"),
        "{e}"
    );
    let e =
        read("CVE-1 exp:2026-13-01\n", ".trivyignore", IgnoreKind::Trivy).expect_err("bad date");
    assert!(e.to_string().contains(".trivyignore`:1:"), "{e}");
    let e = read(
        "ignore:\n  - id: CVE-1\n    expiry: 2026-01-01\n",
        ".drydockignore.yaml",
        IgnoreKind::Drydock,
    )
    .expect_err("unknown key");
    assert!(e.to_string().contains(".drydockignore.yaml"), "{e}");
}

#[test]
fn handbook_export_reads_back_as_the_same_decisions() {
    if crate::data::corpus_archive().is_none() {
        return;
    }
    for (mut a, mut b) in stores().into_iter().zip(stores()) {
        let observed = run_of(&mut a.store, "corpus");
        run_of(&mut b.store, "corpus");
        let mut vulns: Vec<&Observed> = observed
            .iter()
            .filter(|o| o.vuln_id.starts_with("CVE-"))
            .collect();
        vulns.dedup_by(|x, y| x.vuln_id == y.vuln_id);
        assert!(vulns.len() >= 2);
        let mk = |o: &Observed, state: &str, reason: &str| {
            Triage::validate(
                drydock_triage::TriageInput {
                    scope: "image".into(),
                    repository: Some(o.repository.clone()),
                    ecosystem: Some(o.ecosystem.clone()),
                    package: o.package.clone(),
                    vuln_id: o.vuln_id.clone(),
                    state: state.into(),
                    reason: Some(reason.into()),
                    expires: (state == "accepted").then(|| "2027-02-28".to_string()),
                    approver: (state == "accepted").then(|| "head-of-eng".to_string()),
                    ..Default::default()
                },
                today(),
            )
            .expect("valid")
        };
        let originals = vec![
            mk(vulns[0], "accepted", "only parses our own certs | pinned"),
            mk(
                vulns[1],
                "false_positive",
                "musl is not the vulnerable build",
            ),
        ];
        for t in &originals {
            drydock_triage::set(&mut a.store, t, "alice", 1).expect("written");
        }
        let run = a.store.run("latest").expect("run");
        let found = found_in_run(&mut a.store, run.seq, None).expect("found");
        let profile = drydock_cvss::EnvProfile::parse(drydock_triage::handbook::HANDBOOK_PROFILE)
            .expect("profile");
        let (page, left_out) = write_page("Product 5.3.3", &originals, &found, &profile);
        assert!(left_out.is_empty());
        let parsed = Page::parse(&page, "accepted.md").expect("the written page parses");
        assert_eq!(parsed.accepted.rows.len(), 1);
        let obs_b = observed_in_latest_run(&mut b.store)
            .expect("reads")
            .expect("run");
        let got = to_triage(
            &parsed.rules(),
            &ImportScope::PerImage,
            Some(&obs_b),
            &defaults(),
        )
        .expect("imports");
        assert!(got.unmatched.is_empty(), "{:?}", got.unmatched);
        let strip = |t: &Triage| {
            (
                t.key(),
                t.state,
                t.reason.clone(),
                t.expires,
                t.approver.clone(),
            )
        };
        let mut want: Vec<_> = originals.iter().map(strip).collect();
        let mut have: Vec<_> = got
            .records
            .iter()
            .filter(|r| {
                originals
                    .iter()
                    .any(|o| o.package == r.package && o.vuln_id == r.vuln_id)
            })
            .map(strip)
            .collect();
        want.sort();
        have.sort();
        assert_eq!(want, have, "{page}");
        // And written again from the imported records, the page is the same.
        let (again, _) = write_page("Product 5.3.3", &got.records, &found, &profile);
        if got.records.len() == originals.len() {
            assert_eq!(page, again);
        }
    }
}
