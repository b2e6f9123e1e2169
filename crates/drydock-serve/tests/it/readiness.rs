//! Release readiness on both backends: release 5.0 (its newest run scanned every image) is ready
//! once every open finding is accepted, not affected or a false positive, and not before; a
//! finding marked `affected` still blocks it.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::client::{self, TRIAGER, bearer, get, post};
use crate::data;

const RELEASE: &str = "5.0";

fn readiness(u: &str) -> Value {
    let r = get(&format!("{u}/api/readiness/{RELEASE}?per_page=500"), &[]);
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

/// The triage key of a row: what one record settles.
fn key(r: &Value) -> (String, String, String) {
    let s = |k: &str| r[k].as_str().expect("a string").to_string();
    (s("repository"), s("package"), s("vuln_id"))
}

fn triage(u: &str, (repository, package, vuln): &(String, String, String), state: &str) {
    let mut body = json!({
        "scope": "image", "repository": repository, "package": package, "vuln_id": vuln,
        "state": state, "reason": "reviewed for the release",
    });
    match state {
        "accepted" => body["expires"] = json!("2999-12-31"),
        "not_affected" => body["justification"] = json!("vulnerable_code_not_in_execute_path"),
        "affected" => body["reason"] = Value::Null,
        _ => {}
    }
    let r = post(
        &format!("{u}/api/triage"),
        &[("authorization", &bearer(TRIAGER))],
        "application/json",
        &body.to_string(),
    );
    assert!(r.status == 201 || r.status == 200, "{body}: {}", r.body);
}

#[test]
fn a_release_is_ready_once_every_open_finding_is_settled() {
    for b in data::backends() {
        let be = b.backend;
        let s = client::serve(&b.location, false);
        let u = s.url.as_str();
        let before = readiness(u);
        assert_eq!(before["ready"], false, "{be}");
        assert_eq!(
            before["failed_images"],
            json!([]),
            "{be}: run 2 scanned all"
        );
        let rows = before["blocking"]["items"]
            .as_array()
            .expect("rows")
            .clone();
        assert_eq!(
            before["blocking"]["total"].as_u64(),
            Some(rows.len() as u64),
            "{be}: one page"
        );
        let keys: Vec<_> = rows
            .iter()
            .map(key)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        assert!(keys.len() > 3, "{be}: {} keys", keys.len());
        let (last, rest) = keys.split_last().expect("keys");
        for (i, k) in rest.iter().enumerate() {
            triage(u, k, ["accepted", "not_affected", "false_positive"][i % 3]);
        }
        // One finding left open, then marked affected: not settled, still blocking.
        for state in [None, Some("affected")] {
            if let Some(state) = state {
                triage(u, last, state);
            }
            let mid = readiness(u);
            assert_eq!(mid["ready"], false, "{be} {state:?}");
            let open: Vec<_> = mid["blocking"]["items"]
                .as_array()
                .expect("rows")
                .iter()
                .map(key)
                .collect();
            assert!(
                !open.is_empty() && open.iter().all(|k| k == last),
                "{be} {state:?}: only {last:?} blocks: {open:?}"
            );
            assert_eq!(
                mid["blocking"]["total"].as_u64(),
                Some(rows.iter().filter(|r| key(r) == *last).count() as u64),
                "{be} {state:?}"
            );
        }
        triage(u, last, "false_positive");
        let after = readiness(u);
        assert_eq!(after["ready"], true, "{be}: {after}");
        assert_eq!(after["blocking"]["total"], 0, "{be}");
        let page = get(&format!("{u}/readiness/{RELEASE}"), &[]);
        assert!(page.body.contains("Ready: every finding"), "{be}");
        let release = get(&format!("{u}/readiness/5.1"), &[]);
        assert!(
            release.body.contains("Not ready:"),
            "{be}: 5.1 has a failed image"
        );
        s.running.stop().expect("stop");
    }
}
