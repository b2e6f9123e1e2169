//! Triage records and their audit trail in the store, on SQLite and PostgreSQL.

use drydock_store::{Store, TriageFilter, TriageWrite};
use drydock_triage::{Triage, TriageInput};

use crate::data::stores;

fn today() -> drydock_policy::Date {
    "2026-06-01".parse().expect("a date")
}

fn input(scope: &str, state: &str) -> TriageInput {
    TriageInput {
        scope: scope.into(),
        repository: (scope == "image").then(|| "registry.example/app".to_string()),
        release: (scope == "release").then(|| "5.3.3".to_string()),
        package: "openssl".into(),
        vuln_id: "CVE-2024-0727".into(),
        state: state.into(),
        ..TriageInput::default()
    }
}

fn set(store: &mut Store, t: &TriageInput, actor: &str, at: i64) -> drydock_store::TriageOutcome {
    let t = Triage::validate(t.clone(), today()).expect("valid");
    drydock_triage::set(store, &t, actor, at).expect("written")
}

fn create_update_history(s: &mut Store) {
    let mut a = input("image", "in_triage");
    let first = set(s, &a, "alice", 100);
    assert!(first.created);
    assert_eq!(first.events.len(), 1, "only the state is set");
    a.state = "accepted".into();
    a.reason = Some("parses only our own certificates".into());
    a.expires = Some("2026-09-01".into());
    let second = set(s, &a, "bob", 200);
    assert!(!second.created);
    let changed: Vec<(&str, Option<&str>, Option<&str>)> = second
        .events
        .iter()
        .map(|e| {
            (
                e.field.as_str(),
                e.old_value.as_deref(),
                e.new_value.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        changed,
        vec![
            ("state", Some("in_triage"), Some("accepted")),
            ("reason", None, Some("parses only our own certificates")),
            ("expires", None, Some("2026-09-01")),
        ]
    );
    assert_eq!(second.record.created_by, "alice");
    assert_eq!(
        (second.record.updated_by.as_str(), second.record.updated_at),
        ("bob", 200)
    );
    // The same write again changes nothing and records nothing.
    let third = set(s, &a, "carol", 300);
    assert!(third.events.is_empty());
    assert_eq!(third.record.updated_at, 200);
    let history = s.triage_history(first.record.id).expect("history");
    assert_eq!(history.len(), 4);
    assert!(history.windows(2).all(|w| w[0].id < w[1].id));
    // Scopes are separate records of one identity; an `all` record is unique too (absent
    // key parts are empty strings, not NULLs the unique index would let repeat).
    let all = input("all", "waiting");
    let x = set(s, &all, "alice", 400);
    let y = set(s, &all, "alice", 500);
    assert_eq!(x.record.id, y.record.id);
    assert_ne!(x.record.id, first.record.id);
    assert_eq!(
        s.triage_list(&TriageFilter::default()).expect("list").len(),
        2
    );
}

fn list_filters(s: &mut Store) {
    let mut a = input("image", "accepted");
    a.reason = Some("r".into());
    a.expires = Some("2026-06-10".into());
    set(s, &a, "alice", 1);
    let mut b = input("release", "accepted");
    b.reason = Some("r".into());
    b.expires = Some("2027-01-01".into());
    set(s, &b, "alice", 2);
    let mut c = input("all", "false_positive");
    c.reason = Some("wrong CPE".into());
    c.package = "busybox".into();
    set(s, &c, "alice", 3);
    let soon = s
        .triage_list(&TriageFilter {
            expires_by: Some("2026-06-15".into()),
            ..TriageFilter::default()
        })
        .expect("list");
    assert_eq!(soon.len(), 1);
    assert_eq!(soon[0].key.scope, "image");
    let accepted = s
        .triage_list(&TriageFilter {
            states: vec!["accepted".into()],
            ..TriageFilter::default()
        })
        .expect("list");
    assert_eq!(accepted.len(), 2);
    let rel = s
        .triage_list(&TriageFilter {
            release: Some("5.3.3".into()),
            ..TriageFilter::default()
        })
        .expect("list");
    assert_eq!(rel.len(), 1);
    let all = s.triage_list(&TriageFilter::default()).expect("list");
    // Sorted by key in both databases: vulnerability, then package, then scope.
    let order: Vec<(&str, &str)> = all
        .iter()
        .map(|r| (r.key.package.as_str(), r.key.scope.as_str()))
        .collect();
    assert_eq!(
        order,
        vec![
            ("busybox", "all"),
            ("openssl", "image"),
            ("openssl", "release")
        ]
    );
}

/// Two writers on one record at once: every write lands in the trail, each event's old
/// value is what the previous event set (nothing lost to a race), and the record holds the
/// last event's value.
fn concurrent_edits(location: &str) {
    let mut s = Store::open(location).expect("store");
    let base = input("image", "affected");
    set(&mut s, &base, "seed", 0);
    let key = Triage::validate(base.clone(), today())
        .expect("valid")
        .key();
    let handles: Vec<_> = ["alice", "bob"]
        .into_iter()
        .map(|who| {
            let location = location.to_string();
            let base = base.clone();
            std::thread::spawn(move || {
                let mut s = Store::open(&location).expect("store");
                for i in 0..10 {
                    let mut t = base.clone();
                    t.notes = Some(format!("{who} {i}"));
                    let t = Triage::validate(t, today()).expect("valid");
                    s.set_triage(&TriageWrite {
                        key: t.key(),
                        fields: t.fields(),
                        actor: who.into(),
                        at: i,
                        created: None,
                    })
                    .expect("written");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("writer thread");
    }
    let rec = s.triage_by_key(&key).expect("read").expect("exists");
    let notes: Vec<_> = s
        .triage_history(rec.id)
        .expect("history")
        .into_iter()
        .filter(|e| e.field == "notes")
        .collect();
    assert_eq!(notes.len(), 20, "every write is audited");
    for w in notes.windows(2) {
        assert_eq!(w[1].old_value, w[0].new_value, "{w:?}");
    }
    assert_eq!(
        rec.fields.notes,
        notes.last().and_then(|e| e.new_value.clone())
    );
}

#[test]
fn triage_records_on_both_backends() {
    for mut t in stores() {
        eprintln!("backend {}", t.backend);
        create_update_history(&mut t.store);
    }
    for mut t in stores() {
        list_filters(&mut t.store);
    }
}

#[test]
fn concurrent_edits_on_both_backends() {
    for t in stores() {
        eprintln!("backend {}", t.backend);
        concurrent_edits(&t.location);
    }
}
