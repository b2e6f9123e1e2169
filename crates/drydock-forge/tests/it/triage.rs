//! Triage from the store: findings triaged `not_affected`, `false_positive` or (unexpired)
//! `accepted` leave the table for a collapsed section and do not count for `critical-cves`;
//! acceptances expiring within 7 days reach the alert digest.

use drydock_forge::alert::{AlertOptions, digest};
use drydock_forge::sync::{self, SyncOptions};
use drydock_forge::{StoreTriage, TriageSource};
use drydock_match::Severity;
use drydock_policy::Date;
use drydock_triage::{Triage, TriageInput};

use crate::fake::{Dialect, Fake, TOKEN};
use crate::history::{Img, run, store};
use crate::sync::forge_for;

fn today() -> Date {
    "2026-12-04".parse().expect("date")
}

fn triage(s: &mut drydock_store::Store, pkg: &str, id: &str, state: &str, expires: Option<&str>) {
    let t = Triage::validate(
        TriageInput {
            scope: "image".into(),
            repository: Some("registry.example/team/app".into()),
            package: pkg.into(),
            vuln_id: id.into(),
            state: state.into(),
            justification: (state == "not_affected")
                .then(|| "vulnerable_code_not_in_execute_path".into()),
            reason: Some(format!("{state} because of tests")),
            expires: expires.map(str::to_string),
            ..TriageInput::default()
        },
        today(),
    )
    .expect("valid triage");
    drydock_triage::set(s, &t, "alice", 1).expect("written");
}

#[test]
fn triaged_findings_leave_the_table_and_critical_label() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut s = store(&dir);
    run(
        &mut s,
        "r1",
        1,
        &[Img::Ok(
            "registry.example/team/app:1.0",
            &["v1"],
            &[
                ("CVE-2024-0001", "openssl", "3.0", None, "HIGH"),
                ("CVE-2024-0002", "zlib1g", "1.2", None, "CRITICAL"),
                ("CVE-2024-0003", "bash", "5.2", None, "CRITICAL"),
            ],
        )],
    );
    triage(&mut s, "zlib1g", "CVE-2024-0002", "not_affected", None);
    triage(
        &mut s,
        "bash",
        "CVE-2024-0003",
        "accepted",
        Some("2026-12-08"),
    );
    let t = StoreTriage::load(&mut s, today()).expect("triage");
    let fake = Fake::start(Dialect::Github);
    let mut f = forge_for(&fake, TOKEN);
    let plan =
        sync::plan_run(&mut s, "latest", f.as_mut(), &t, &SyncOptions::default()).expect("plan");
    sync::apply(&plan, f.as_mut()).expect("apply");
    let issue = &fake.issues()[0];
    let table_end = issue.body.find("<details>").expect("a collapsed section");
    let (table, collapsed) = issue.body.split_at(table_end);
    assert!(table.contains("CVE-2024-0001"));
    assert!(
        !table.contains("CVE-2024-0002") && !table.contains("CVE-2024-0003"),
        "{table}"
    );
    assert!(
        collapsed.contains("not_affected") && collapsed.contains("accepted"),
        "{collapsed}"
    );
    assert!(
        !issue.labels.iter().any(|l| l == "critical-cves"),
        "{:?}",
        issue.labels
    );
    // The acceptance expires within 7 days: the digest says so.
    let d = digest(
        &mut s,
        "latest",
        &t,
        &AlertOptions {
            min_severity: Severity::High,
            today: "2026-12-04".into(),
            expiring_days: 7,
        },
    )
    .expect("digest");
    assert_eq!(d.acceptances.len(), 1);
    assert!(!d.acceptances[0].expired);
    assert_eq!(d.counts.new, 1, "triaged findings are not news");
    // After the expiry the acceptance no longer suppresses.
    let later = StoreTriage::load(&mut s, "2026-12-10".parse().expect("date")).expect("triage");
    let t3 = later.expiring("2026-12-10", 7);
    assert!(t3[0].expired);
}
