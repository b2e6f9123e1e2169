//! `drydock track sync` and `drydock alert` against drydock-forge's fake forge and a loopback
//! webhook receiver: plans, write counts, tokens never printed, one-line refusals.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use crate::drydock;

#[path = "../../../drydock-forge/tests/it/fake.rs"]
#[allow(dead_code)]
pub(crate) mod fake;
#[path = "../../../drydock-forge/tests/it/history.rs"]
#[allow(dead_code)]
mod history;

use fake::{Dialect, Fake, TOKEN};
use history::{Img, run, store};

fn fleet_store(dir: &tempfile::TempDir) -> String {
    let mut s = store(dir);
    run(
        &mut s,
        "r1",
        1000,
        &[
            Img::Ok(
                "registry.example/team/app:1.0",
                &["v2.6"],
                &[
                    ("CVE-2024-0001", "openssl", "3.0", None, "HIGH"),
                    ("CVE-2024-0002", "zlib1g", "1.2", Some("1.3"), "CRITICAL"),
                ],
            ),
            Img::Failed(
                "registry.example/team/db:2.0",
                &["v2.6"],
                "pull: manifest unknown",
            ),
        ],
    );
    dir.path().join("history.db").to_string_lossy().into_owned()
}

fn sync(fake: &Fake, db: &str, token: &str, extra: &[&str]) -> std::process::Output {
    drydock()
        .args([
            "track",
            "sync",
            "--forge",
            "github",
            "--repo",
            "org/cve-reports",
        ])
        .args([
            "--url",
            &fake.base,
            "--store",
            db,
            "--write-spacing-ms",
            "0",
        ])
        .args(extra)
        .env_remove("DRYDOCK_FORGE_TOKEN")
        .env("GITHUB_TOKEN", token)
        .output()
        .expect("run drydock")
}

#[test]
fn track_sync_dry_run_then_sync_then_nothing_to_do() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = fleet_store(&dir);
    let fake = Fake::start(Dialect::Github);
    let out = sync(&fake, &db, TOKEN, &["--dry-run", "-v"]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert_eq!(fake.writes(), 0, "a dry run writes nothing");
    assert!(
        text.contains("create") && text.contains("registry.example/team/app"),
        "{text}"
    );
    assert!(text.contains("scan failed"), "{text}");
    assert!(
        text.contains("create 1, skip 1 (nothing written)"),
        "{text}"
    );
    assert!(!text.contains(TOKEN), "the token never prints");

    let out = sync(&fake, &db, TOKEN, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // critical-cves, cve-report, cve/chart-app, cve/v2.6 labels + one issue.
    assert!(stdout.contains("5 write(s)"), "{stdout}");
    assert_eq!(fake.issues().len(), 1);

    let out = sync(&fake, &db, TOKEN, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("unchanged 1, skip 1; 0 write(s)"),
        "{stdout}"
    );
}

#[test]
fn track_sync_refusals_are_one_line_without_the_token() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = fleet_store(&dir);
    let fake = Fake::start(Dialect::Github);
    let out = sync(&fake, &db, "read-only-token", &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("org/cve-reports") && err.contains("issues: write"),
        "{err}"
    );
    assert!(!err.contains("read-only-token"));
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    // No token at all.
    let out = drydock()
        .args([
            "track", "sync", "--forge", "gitea", "--repo", "o/r", "--url", &fake.base, "--store",
            &db,
        ])
        .env_remove("DRYDOCK_FORGE_TOKEN")
        .env_remove("GITEA_TOKEN")
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("GITEA_TOKEN"), "{err}");
}

/// (signature, body)
pub(crate) type Got = Arc<Mutex<Vec<(Option<String>, String)>>>;

pub(crate) fn receiver() -> (String, Got) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!(
        "http://127.0.0.1:{}/hook/secret-path",
        l.local_addr().expect("addr").port()
    );
    let got: Got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut r = BufReader::new(conn.try_clone().expect("clone"));
            let mut line = String::new();
            let _ = r.read_line(&mut line);
            let (mut len, mut sig) = (0usize, None);
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
            g.lock()
                .expect("lock")
                .push((sig, String::from_utf8_lossy(&body).into_owned()));
            let _ = write!(
                conn,
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
            );
        }
    });
    (url, got)
}

#[test]
fn alert_sends_a_signed_digest_and_nothing_when_nothing_is_new() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = fleet_store(&dir);
    let (url, got) = receiver();
    let out = drydock()
        .args(["alert", "--webhook", &url, "--kind", "json", "--store", &db])
        .env("DRYDOCK_WEBHOOK_SECRET", "It's a Secret to Everybody")
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !stdout.contains("secret-path"),
        "the webhook path is a secret: {stdout}"
    );
    let (sig, body) = got.lock().expect("lock")[0].clone();
    assert!(
        drydock_forge::alert::verify(
            b"It's a Secret to Everybody",
            body.as_bytes(),
            &sig.expect("signed")
        ),
        "the signature verifies"
    );
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["counts"]["new"], 2);
    assert_eq!(v["counts"]["failed"], 1);
    // Only LOW findings new in a second run at --min-severity HIGH, no failures: nothing sent.
    let mut s = drydock_store::Store::open(&db).expect("store");
    run(
        &mut s,
        "r2",
        2000,
        &[
            Img::Ok(
                "registry.example/team/app:1.0",
                &["v2.6"],
                &[
                    ("CVE-2024-0001", "openssl", "3.0", None, "HIGH"),
                    ("CVE-2024-0002", "zlib1g", "1.2", Some("1.3"), "CRITICAL"),
                    ("CVE-2024-0009", "bash", "5.2", None, "LOW"),
                ],
            ),
            Img::Ok("registry.example/team/db:2.0", &["v2.6"], &[]),
        ],
    );
    drop(s);
    let out = drydock()
        .args([
            "alert",
            "--webhook",
            &url,
            "--kind",
            "slack",
            "--store",
            &db,
        ])
        .output()
        .expect("run");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("nothing sent"));
    assert_eq!(
        got.lock().expect("lock").len(),
        1,
        "nothing new, nothing sent"
    );
}

#[test]
fn alert_delivery_failure_is_an_error_exit() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = fleet_store(&dir);
    // A port nothing listens on.
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let out = drydock()
        .args([
            "alert",
            "--webhook",
            &format!("http://127.0.0.1:{port}/x"),
            "--store",
            &db,
        ])
        .args(["--attempts", "2", "--backoff-ms", "10"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("gave up after 2"));
}
