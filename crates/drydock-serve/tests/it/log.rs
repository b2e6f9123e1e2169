//! The request log: one structured event per request (target `drydock_serve::access`) with the
//! method, path, status and milliseconds, whatever the answer. `drydock -v serve` prints these
//! events with the CLI's subscriber; here a small subscriber of our own collects them.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::{Mutex, OnceLock};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

use crate::client::{self, TRIAGER, bearer, get, post};
use crate::data;

const TARGET: &str = "drydock_serve::access";

type Line = BTreeMap<String, String>;

/// The access events of this test process.
fn lines() -> &'static Mutex<Vec<Line>> {
    static LINES: OnceLock<Mutex<Vec<Line>>> = OnceLock::new();
    LINES.get_or_init(|| Mutex::new(Vec::new()))
}

struct Collect;

#[derive(Default)]
struct Fields(Line);

impl Visit for Fields {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0
            .insert(field.name().to_string(), format!("f64:{value}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_string(), value.to_string());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0
            .insert(field.name().to_string(), format!("{value:?}"));
    }
}

impl Subscriber for Collect {
    fn enabled(&self, m: &Metadata<'_>) -> bool {
        m.target() == TARGET
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, e: &Event<'_>) {
        let mut f = Fields::default();
        e.record(&mut f);
        f.0.insert("level".into(), e.metadata().level().to_string());
        if let Ok(mut l) = lines().lock() {
            l.push(f.0);
        }
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[test]
fn every_request_is_one_structured_log_event() {
    tracing::subscriber::set_global_default(Collect)
        .expect("no other test of this binary sets the global subscriber");
    let b = data::sqlite();
    let s = client::serve(&b.location, false);
    let u = &s.url;
    // Method, path and status together are asked by no other test of this binary (the log
    // has no port), so these lines are ours: a vulnerability the other tests leave alone.
    let obs = data::app_observations();
    let first = &obs[0].vuln_id;
    let vuln = &obs
        .iter()
        .rev()
        .find(|o| o.vuln_id != *first)
        .expect("two vulnerabilities")
        .vuln_id;
    let api = format!("/api/findings/{vuln}");
    let page = format!("/findings/{vuln}");
    let asked: [(&str, &str, &str, u16); 5] = [
        ("GET", &api, "per_page=3&sort=vuln", 200),
        ("GET", &page, "severity=HIGH", 200),
        ("GET", &api, "per_page=0", 400),
        ("GET", "/api/findings/CVE-1999-4040", "", 404),
        ("POST", "/logout", "", 403),
    ];
    for (method, path, query, status) in asked {
        let r = if method == "POST" {
            post(
                &format!("{u}{path}"),
                &[("authorization", &bearer(TRIAGER))],
                "application/x-www-form-urlencoded",
                "csrf=forged",
            )
        } else {
            get(&format!("{u}{path}?{query}"), &[])
        };
        assert_eq!(r.status, status, "{method} {path}?{query}: {}", r.body);
    }
    s.running.stop().expect("stop");

    let got = lines().lock().expect("the log").clone();
    for (method, path, _, status) in asked {
        let n = got
            .iter()
            .filter(|l| {
                l.get("method").map(String::as_str) == Some(method)
                    && l.get("path").map(String::as_str) == Some(path)
                    && l.get("status") == Some(&status.to_string())
            })
            .count();
        assert_eq!(n, 1, "one line for {method} {path} {status}: {got:#?}");
    }
    let ours: Vec<&Line> = got
        .iter()
        .filter(|l| {
            asked
                .iter()
                .any(|(_, p, _, _)| l.get("path").map(String::as_str) == Some(*p))
        })
        .collect();
    for l in ours {
        assert_eq!(l.get("level").map(String::as_str), Some("INFO"), "{l:?}");
        assert_eq!(
            l.get("message").map(String::as_str),
            Some("request"),
            "{l:?}"
        );
        let ms: f64 = l
            .get("ms")
            .and_then(|m| m.strip_prefix("f64:"))
            .and_then(|m| m.parse().ok())
            .unwrap_or_else(|| panic!("milliseconds as a number in {l:?}"));
        assert!(ms >= 0.0, "{l:?}");
        assert!(
            !l.values().any(|v| v.contains('?') || v.contains(TRIAGER)),
            "the query string and tokens stay out of the log: {l:?}"
        );
    }
}
