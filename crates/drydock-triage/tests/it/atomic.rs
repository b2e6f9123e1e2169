//! An import is one transaction: a database failure midway (an error raised by the database,
//! the connection lost) leaves nothing of it stored, on SQLite and on PostgreSQL, and the error
//! names the record it stopped at.

use drydock_store::{Store, TriageFilter};
use drydock_triage::{Triage, TriageError, TriageInput};

use crate::data::stores;

fn today() -> drydock_policy::Date {
    "2026-06-01".parse().expect("a date")
}

fn record(vuln: &str, state: &str) -> Triage {
    let accepted = state == "accepted";
    Triage::validate(
        TriageInput {
            scope: "image".into(),
            repository: Some("registry.example/app".into()),
            package: "openssl".into(),
            vuln_id: vuln.into(),
            state: state.into(),
            reason: accepted.then(|| "reachable from the admin VPN only".to_string()),
            expires: accepted.then(|| "2026-09-01".to_string()),
            ..TriageInput::default()
        },
        today(),
    )
    .expect("valid")
}

/// The import: the first record updates the one already stored, the others are new.
fn batch() -> Vec<(Triage, Option<i64>)> {
    (1..=5)
        .map(|i| (record(&format!("CVE-2024-000{i}"), "accepted"), None))
        .collect()
}

/// What the store holds: every record with its audit trail.
fn snapshot(s: &mut Store) -> Vec<(drydock_store::TriageRecord, usize)> {
    s.triage_list(&TriageFilter::default())
        .expect("list")
        .into_iter()
        .map(|r| {
            let events = s.triage_history(r.id).expect("history").len();
            (r, events)
        })
        .collect()
}

/// One record stored before the import (the import would change it).
fn seed(s: &mut Store) {
    drydock_triage::set(s, &record("CVE-2024-0001", "in_triage"), "alice", 100).expect("seeded");
}

/// Installs a trigger that fails the insert of a fourth record (the import's 4th of 5: its
/// first record updates the seeded one, the 2nd and 3rd insert the 2nd and 3rd records).
fn fail_fourth_insert(backend: &str, location: &str, pg_failure: &str) {
    match backend {
        "sqlite" => {
            let c = rusqlite::Connection::open(location).expect("a raw connection");
            c.execute_batch(
                "CREATE TRIGGER test_fail_fourth BEFORE INSERT ON triage \
                 WHEN (SELECT COUNT(*) FROM triage) >= 3 \
                 BEGIN SELECT RAISE(ABORT, 'injected failure on the fourth insert'); END;",
            )
            .expect("the trigger is created");
        }
        _ => {
            let mut c =
                postgres::Client::connect(location, postgres::NoTls).expect("a raw connection");
            c.batch_execute(&format!(
                "CREATE FUNCTION test_fail_fourth() RETURNS trigger LANGUAGE plpgsql AS $f$ \
                 BEGIN IF (SELECT COUNT(*) FROM triage) >= 3 THEN {pg_failure}; END IF; \
                 RETURN NEW; END $f$; \
                 CREATE TRIGGER test_fail_fourth BEFORE INSERT ON triage \
                 FOR EACH ROW EXECUTE FUNCTION test_fail_fourth();"
            ))
            .expect("the trigger is created");
        }
    }
}

fn drop_trigger(backend: &str, location: &str) {
    match backend {
        "sqlite" => rusqlite::Connection::open(location)
            .expect("a raw connection")
            .execute_batch("DROP TRIGGER test_fail_fourth")
            .expect("dropped"),
        _ => postgres::Client::connect(location, postgres::NoTls)
            .expect("a raw connection")
            .batch_execute("DROP TRIGGER test_fail_fourth ON triage")
            .expect("dropped"),
    }
}

/// Imports [`batch`] into a store whose 4th insert fails; checks the error and that the store
/// is as before; then, the trigger gone, the same import lands whole.
fn failed_import_stores_nothing(
    backend: &str,
    location: &str,
    mut store: Store,
    pg_failure: &str,
    cause: &str,
) {
    seed(&mut store);
    let before = snapshot(&mut store);
    fail_fourth_insert(backend, location, pg_failure);
    let err = drydock_triage::import(&mut store, &batch(), "importer", 200)
        .expect_err("the fourth insert fails");
    assert!(
        matches!(err, TriageError::Import { .. }),
        "{backend}: {err:?}"
    );
    let msg = err.to_string();
    for part in [
        "import stopped at record 4 of 5 (CVE-2024-0004 in openssl)",
        cause,
        "the import was rolled back, nothing of it is stored",
    ] {
        assert!(msg.contains(part), "{backend}: `{part}` not in: {msg}");
    }
    assert_eq!(msg.lines().count(), 1, "{backend}: one line: {msg}");
    // A fresh connection sees exactly what was there before: the seeded record unchanged
    // (still in_triage, one event), none of the new ones.
    let mut fresh = Store::open(location).expect("reopened");
    let after = snapshot(&mut fresh);
    assert_eq!(after, before, "{backend}: the failed import left something");
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].0.fields.state, "in_triage");
    drop_trigger(backend, location);
    let outcomes =
        drydock_triage::import(&mut fresh, &batch(), "importer", 300).expect("imports whole");
    assert_eq!(outcomes.iter().filter(|o| o.created).count(), 4);
    let landed = snapshot(&mut fresh);
    assert_eq!(landed.len(), 5, "{backend}");
    assert!(landed.iter().all(|(r, _)| r.fields.state == "accepted"));
}

#[test]
fn import_failing_midway_stores_nothing_on_either_backend() {
    let mut seen = Vec::new();
    for t in stores() {
        seen.push(t.backend);
        failed_import_stores_nothing(
            t.backend,
            &t.location,
            t.store,
            "RAISE EXCEPTION 'injected failure on the fourth insert'",
            "injected failure on the fourth insert",
        );
    }
    assert!(seen.contains(&"sqlite"));
}

/// PostgreSQL ends the importing session on the 4th insert (what a server restart, a
/// failover or an administrator's `pg_terminate_backend` does): the error says the
/// connection was lost, and the server kept nothing of the open transaction.
#[test]
fn import_losing_the_connection_midway_stores_nothing_on_postgres() {
    let Some(t) = stores().into_iter().find(|t| t.backend == "postgres") else {
        return;
    };
    failed_import_stores_nothing(
        t.backend,
        &t.location,
        t.store,
        "PERFORM pg_terminate_backend(pg_backend_pid())",
        "lost the connection to the store",
    );
}
