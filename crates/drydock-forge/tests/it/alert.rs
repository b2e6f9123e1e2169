//! Alert digests from the store, delivered to a loopback receiver that checks the signature.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use drydock_forge::NoTriage;
use drydock_forge::alert::{AlertOptions, Retry, WebhookKind, deliver, digest, payload, verify};
use drydock_match::Severity;

use crate::history::{Img, run, store};

const SECRET: &[u8] = b"It's a Secret to Everybody";

/// A receiver: answers each request with the next status of `script` (then 200), records
/// (signature header, body, whether the signature verified).
/// (signature header, body, whether the signature verified)
type Received = Arc<Mutex<Vec<(Option<String>, String, bool)>>>;

struct Receiver {
    url: String,
    got: Received,
}

fn receiver(script: Vec<u16>) -> Receiver {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!(
        "http://127.0.0.1:{}/hooks/T000/B000/s3cr3tpath",
        l.local_addr().expect("addr").port()
    );
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    std::thread::spawn(move || {
        let mut script = script.into_iter();
        for conn in l.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut r = BufReader::new(conn.try_clone().expect("clone"));
            let mut line = String::new();
            let _ = r.read_line(&mut line);
            let mut len = 0usize;
            let mut sig = None;
            loop {
                let mut h = String::new();
                if r.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                    break;
                }
                let (k, v) = h.split_once(':').unwrap_or((&h, ""));
                match k.trim().to_ascii_lowercase().as_str() {
                    "content-length" => len = v.trim().parse().unwrap_or(0),
                    "x-hub-signature-256" => sig = Some(v.trim().to_string()),
                    _ => {}
                }
            }
            let mut body = vec![0; len];
            let _ = r.read_exact(&mut body);
            let ok = sig.as_deref().is_some_and(|s| verify(SECRET, &body, s));
            g.lock()
                .expect("lock")
                .push((sig, String::from_utf8_lossy(&body).into_owned(), ok));
            let status = script.next().unwrap_or(200);
            let reply = if status == 200 {
                "ok"
            } else {
                "invalid_payload"
            };
            let _ = write!(
                conn,
                "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                reply.len()
            );
        }
    });
    Receiver { url, got }
}

fn opts(min: Severity) -> AlertOptions {
    AlertOptions {
        min_severity: min,
        today: "2026-12-04".into(),
        expiring_days: 7,
    }
}

const APP: &str = "registry.example/team/app:1.0";
const DB: &str = "registry.example/team/db:2.0";

#[test]
fn digest_says_what_is_new_since_each_images_previous_scan() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut s = store(&dir);
    run(
        &mut s,
        "r1",
        1000,
        &[
            Img::Ok(
                APP,
                &["v1"],
                &[
                    ("CVE-2024-0001", "openssl", "3.0", None, "HIGH"),
                    ("CVE-2024-0002", "zlib1g", "1.2", None, "LOW"),
                ],
            ),
            Img::Ok(
                DB,
                &["v1"],
                &[("CVE-2024-0003", "libpq5", "15", None, "CRITICAL")],
            ),
        ],
    );
    // First scan: every finding at or above HIGH is new.
    let d1 = digest(&mut s, "r1", &NoTriage, &opts(Severity::High)).expect("digest");
    assert_eq!(d1.counts.new, 2, "{d1:#?}");
    assert!(d1.images.iter().all(|i| i.first_scan));
    // Run 2: app gains a CRITICAL, the HIGH gets a fix; db fails.
    run(
        &mut s,
        "r2",
        2000,
        &[
            Img::Ok(
                APP,
                &["v1"],
                &[
                    ("CVE-2024-0001", "openssl", "3.0", Some("3.1"), "HIGH"),
                    ("CVE-2024-0002", "zlib1g", "1.2", None, "LOW"),
                    ("CVE-2024-0004", "glibc", "2.36", None, "CRITICAL"),
                ],
            ),
            Img::Failed(DB, &["v1"], "pull: connection refused"),
        ],
    );
    let d2 = digest(&mut s, "latest", &NoTriage, &opts(Severity::High)).expect("digest");
    assert_eq!(d2.images.len(), 1);
    let app = &d2.images[0];
    assert!(!app.first_scan);
    assert_eq!(
        app.new.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(),
        ["CVE-2024-0004"]
    );
    assert_eq!(
        app.fix_available
            .iter()
            .map(|f| f.id.as_str())
            .collect::<Vec<_>>(),
        ["CVE-2024-0001"]
    );
    assert_eq!(d2.failed.len(), 1);
    assert_eq!(
        (d2.counts.new, d2.counts.new_critical, d2.counts.failed),
        (1, 1, 1)
    );
    // A new tag of the same repository is compared with the repository's last scan.
    run(
        &mut s,
        "r3",
        3000,
        &[
            Img::Ok(
                "registry.example/team/app:1.1",
                &["v1"],
                &[
                    ("CVE-2024-0001", "openssl", "3.0", Some("3.1"), "HIGH"),
                    ("CVE-2024-0004", "glibc", "2.36", None, "CRITICAL"),
                ],
            ),
            Img::Ok(
                DB,
                &["v1"],
                &[("CVE-2024-0003", "libpq5", "15", None, "CRITICAL")],
            ),
        ],
    );
    let d3 = digest(&mut s, "latest", &NoTriage, &opts(Severity::High)).expect("digest");
    assert!(d3.is_empty(), "nothing new: {d3:#?}");
    // A lower threshold sees the LOW on the first run.
    let low = digest(&mut s, "r1", &NoTriage, &opts(Severity::Low)).expect("digest");
    assert_eq!(low.counts.new, 3);
}

#[test]
fn signed_json_slack_and_teams_reach_a_receiver() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut s = store(&dir);
    run(
        &mut s,
        "r1",
        1000,
        &[Img::Ok(
            APP,
            &["v1"],
            &[("CVE-2024-0001", "openssl", "3.0", None, "CRITICAL")],
        )],
    );
    let d = digest(&mut s, "latest", &NoTriage, &opts(Severity::High)).expect("digest");
    let rx = receiver(vec![]);
    let fast = Retry {
        attempts: 3,
        backoff: Duration::from_millis(10),
    };
    for kind in [WebhookKind::Json, WebhookKind::Slack, WebhookKind::Teams] {
        let body = payload(&d, kind).to_string();
        deliver(&rx.url, &body, Some(SECRET), fast).expect("delivered");
    }
    let got = rx.got.lock().expect("lock").clone();
    assert_eq!(got.len(), 3);
    assert!(got.iter().all(|(_, _, ok)| *ok), "every signature verifies");
    let json: serde_json::Value = serde_json::from_str(&got[0].1).expect("json");
    assert_eq!(json["event"], "drydock.digest");
    assert_eq!(json["images"][0]["new"][0]["id"], "CVE-2024-0001");
    let slack: serde_json::Value = serde_json::from_str(&got[1].1).expect("json");
    assert!(
        slack["text"]
            .as_str()
            .is_some_and(|t| t.contains("1 new finding"))
    );
    assert_eq!(slack["blocks"][0]["type"], "section");
    let teams: serde_json::Value = serde_json::from_str(&got[2].1).expect("json");
    let card = &teams["attachments"][0];
    assert_eq!(
        card["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    assert_eq!(card["content"]["type"], "AdaptiveCard");
    assert_eq!(card["content"]["version"], "1.4");
}

#[test]
fn delivery_retries_then_fails_loudly_without_printing_the_url_path() {
    let fast = Retry {
        attempts: 3,
        backoff: Duration::from_millis(10),
    };
    // 500, 503, then 200: delivered on the third attempt.
    let rx = receiver(vec![500, 503]);
    assert_eq!(deliver(&rx.url, "{}", None, fast).expect("delivered"), 3);
    // Always 500: an error naming only the origin.
    let rx = receiver(vec![500, 500, 500]);
    let e = deliver(&rx.url, "{}", None, fast)
        .expect_err("fails")
        .to_string();
    assert!(e.contains("gave up after 3"), "{e}");
    assert!(!e.contains("s3cr3tpath"), "{e}");
    // A 400 is not retried.
    let rx = receiver(vec![400]);
    assert!(deliver(&rx.url, "{}", None, fast).is_err());
    assert_eq!(rx.got.lock().expect("lock").len(), 1);
}
