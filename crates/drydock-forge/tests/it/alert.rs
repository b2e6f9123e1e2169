//! Alert digests from the store, delivered to a loopback receiver that checks the signature.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use std::path::{Path, PathBuf};
use std::process::Command;

use drydock_forge::alert::{
    AlertFinding, AlertOptions, Counts, Digest, FailedImage, ImageNews, Retry, WebhookKind,
    deliver, digest, payload, verify,
};
use drydock_forge::{Expiring, NoTriage};
use drydock_match::Severity;
use serde_json::{Value, json};

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

/// A digest with every kind of news, big enough to hit every cap: 60 images of 15 new findings
/// and 3 fixes, 25 failed images, 3 acceptances.
fn busy_digest() -> Digest {
    let finding = |i: usize, j: usize, sev: Severity| AlertFinding {
        id: format!("CVE-2026-{i:03}{j:02}"),
        package: format!("lib\"quoted\"\\pkg{j}"),
        installed: "1.2.3-4".into(),
        fixed: j.is_multiple_of(2).then(|| "1.2.3-5".to_string()),
        severity: sev,
        title: Some(format!("a *flaw* with `code` and <html> in {j}")),
        url: format!("https://security-tracker.debian.org/tracker/CVE-2026-{i:03}{j:02}"),
    };
    let images: Vec<ImageNews> = (0..60usize)
        .map(|i| ImageNews {
            reference: format!("registry.example/team/svc-{i:02}:1.{i}"),
            repository: format!("registry.example/team/svc-{i:02}"),
            digest: Some(format!("sha256:{}", "ab".repeat(32))),
            first_scan: i.is_multiple_of(3),
            new: (0..15)
                .map(|j| {
                    finding(
                        i,
                        j,
                        if j < 2 {
                            Severity::Critical
                        } else {
                            Severity::High
                        },
                    )
                })
                .collect(),
            fix_available: (15..18).map(|j| finding(i, j, Severity::High)).collect(),
        })
        .collect();
    let failed: Vec<FailedImage> = (0..25)
        .map(|i| FailedImage {
            reference: format!("registry.example/team/broken-{i}:latest"),
            error: "pull: manifest unknown: \"latest\" is not in the repository".into(),
        })
        .collect();
    let acceptances: Vec<Expiring> = (0..3)
        .map(|i| Expiring {
            vuln_id: format!("CVE-2025-000{i}"),
            package: "openssl".into(),
            scope: "all".into(),
            expires: "2026-12-08".into(),
            expired: i == 0,
            owner: Some("team-a".into()),
        })
        .collect();
    Digest {
        event: "drydock.digest",
        run_id: "r-2026-12-04".into(),
        run_seq: 7,
        min_severity: Severity::High,
        counts: Counts {
            new: 60 * 15,
            new_critical: 60 * 2,
            fix_available: 60 * 3,
            failed: failed.len(),
            acceptances_expiring: acceptances.len(),
        },
        images,
        failed,
        acceptances,
    }
}

/// check-jsonschema (`.ci/setup.d/ci-files.sh`) and the Adaptive Card schemas
/// (`.ci/setup.d/forge-schemas.sh`); `None` outside CI when missing.
fn card_validator() -> Option<(PathBuf, PathBuf)> {
    let tool = std::env::var_os("DRYDOCK_CI_TOOLS")
        .map(|d| PathBuf::from(d).join("bin/check-jsonschema"))
        .filter(|p| p.is_file());
    let schemas = std::env::var_os("DRYDOCK_ADAPTIVE_CARD_SCHEMAS")
        .map(PathBuf::from)
        .filter(|p| p.join("schema-1.4.json").is_file());
    match (tool, schemas) {
        (Some(t), Some(s)) => Some((t, s)),
        _ => {
            let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false");
            assert!(
                !ci,
                "check-jsonschema or the Adaptive Card schemas are missing (DRYDOCK_CI_TOOLS, DRYDOCK_ADAPTIVE_CARD_SCHEMAS: see .ci/setup.d/forge-schemas.sh)"
            );
            eprintln!("note: skipping, check-jsonschema or the Adaptive Card schemas are missing");
            None
        }
    }
}

/// Runs check-jsonschema on `card` against the schema of `version`; its output on failure.
fn validate_card(
    tool: &Path,
    schemas: &Path,
    version: &str,
    card: &Value,
    dir: &Path,
) -> Result<(), String> {
    let file = dir.join(format!("card-{version}.json"));
    std::fs::write(&file, card.to_string()).expect("write card");
    let out = Command::new(tool)
        .arg("--schemafile")
        .arg(schemas.join(format!("schema-{version}.json")))
        .arg(&file)
        .output()
        .expect("run check-jsonschema");
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

#[test]
fn teams_card_is_valid_against_the_published_adaptive_card_schema() {
    let Some((tool, schemas)) = card_validator() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let empty = Digest {
        images: Vec::new(),
        failed: Vec::new(),
        acceptances: Vec::new(),
        counts: Counts::default(),
        ..busy_digest()
    };
    for d in [busy_digest(), empty] {
        let message = payload(&d, WebhookKind::Teams);
        // What a Workflows webhook takes: a message with one Adaptive Card attachment.
        assert_eq!(message["type"], "message");
        let attachments = message["attachments"].as_array().expect("attachments");
        assert_eq!(attachments.len(), 1);
        assert_eq!(
            attachments[0]["contentType"],
            "application/vnd.microsoft.card.adaptive"
        );
        let card = &attachments[0]["content"];
        let version = card["version"].as_str().expect("card version");
        validate_card(&tool, &schemas, version, card, dir.path())
            .unwrap_or_else(|e| panic!("the card is not a valid Adaptive Card {version}: {e}"));
        // Teams refuses webhook cards over 28 KB.
        let size = message.to_string().len();
        assert!(size <= 28 * 1024, "the Teams message is {size} bytes");
    }
    // The busy card says what it left out.
    let busy = payload(&busy_digest(), WebhookKind::Teams).to_string();
    assert!(busy.contains("more section(s) that do not fit"), "{busy}");
    // The check can fail: a weight the schema does not know, a block without its text.
    let mut bad = payload(&busy_digest(), WebhookKind::Teams)["attachments"][0]["content"].clone();
    bad["body"][0]["weight"] = json!("Heaviest");
    assert!(validate_card(&tool, &schemas, "1.4", &bad, dir.path()).is_err());
    let mut bad = payload(&busy_digest(), WebhookKind::Teams)["attachments"][0]["content"].clone();
    bad["body"][1] = json!({"type": "TextBlock", "wrap": true});
    assert!(validate_card(&tool, &schemas, "1.4", &bad, dir.path()).is_err());
}

#[test]
fn slack_message_keeps_block_kit_limits() {
    // Slack publishes no JSON schema for Block Kit: its documented limits are checked instead
    // (50 blocks a message, 3,000 characters a section text, `mrkdwn` sections).
    let msg = payload(&busy_digest(), WebhookKind::Slack);
    assert!(msg["text"].as_str().is_some_and(|t| !t.is_empty()));
    let blocks = msg["blocks"].as_array().expect("blocks");
    assert!(blocks.len() <= 50, "{} blocks", blocks.len());
    for b in blocks {
        assert_eq!(b["type"], "section");
        assert_eq!(b["text"]["type"], "mrkdwn");
        let text = b["text"]["text"].as_str().expect("section text");
        assert!(
            !text.is_empty() && text.chars().count() <= 3000,
            "{}",
            text.len()
        );
    }
}
