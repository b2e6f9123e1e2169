//! Issue 17: `drydock serve` as a process — SIGTERM while a triage write is in flight.
//!
//! The page, API and browser tests run the server in-process (crates/drydock-serve/tests);
//! a signal needs the real binary.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sha2::Digest as _;

use crate::{assert_success, drydock};

const TOKEN: &str = "sigterm-test-token-0123456789";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// Sends SIGTERM (how Kubernetes and systemd stop a service) with the shell's `kill`.
fn sigterm(pid: u32) {
    let out = Command::new("sh")
        .args(["-c", &format!("kill -TERM {pid}")])
        .output()
        .expect("run sh -c kill");
    assert_success(&out, "kill -TERM");
}

fn tokens_file(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("tokens.yaml");
    let hash = hex::encode(sha2::Sha256::digest(TOKEN.as_bytes()));
    std::fs::write(
        &path,
        format!("tokens:\n  - name: oncall\n    sha256: {hash}\n    role: triager\n"),
    )
    .expect("write tokens");
    path
}

/// SIGTERM while a `POST /api/triage` is half sent: the server stops accepting connections,
/// lets the request finish (201, the record written), exits 0, frees the port, and leaves the
/// SQLite store checkpointed (no WAL left) and readable by the next process.
#[test]
fn sigterm_lets_the_request_in_flight_finish() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("history.db");
    let store_arg = store.to_str().expect("UTF-8 path");
    let out = drydock()
        .args(["store", "migrate", "--store", store_arg])
        .output()
        .expect("run drydock store migrate");
    assert_success(&out, "drydock store migrate");
    let tokens = tokens_file(dir.path());
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut server = drydock()
        .args(["serve", "--store", store_arg, "--listen", &addr, "--tokens"])
        .arg(&tokens)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start drydock serve");
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(&addr).is_err() {
        assert!(
            Instant::now() < deadline,
            "drydock serve did not start listening"
        );
        if let Ok(Some(status)) = server.try_wait() {
            panic!("drydock serve exited early: {status}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }

    // The request: headers and the first half of the body now, the rest after the signal.
    let body = serde_json::json!({
        "scope": "all", "package": "openssl", "vuln_id": "CVE-2024-0727",
        "state": "accepted", "reason": "not reachable: no PKCS12 parsing", "expires": "2999-01-31",
    })
    .to_string();
    let (first, rest) = body.split_at(body.len() / 2);
    let mut conn = TcpStream::connect(&addr).expect("connect");
    conn.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    write!(
        conn,
        "POST /api/triage HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{first}",
        body.len()
    )
    .expect("send the first half");
    conn.flush().expect("flush");
    // Let the server read the head, so the request is in flight when the signal comes.
    std::thread::sleep(Duration::from_millis(300));
    sigterm(server.id());

    // New connections are refused once the signal is handled (the listener is closed) …
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(&addr).is_ok() {
        assert!(
            Instant::now() < deadline,
            "still accepting connections 10 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // … while the request in flight is still served.
    assert!(
        server.try_wait().expect("wait").is_none(),
        "drydock serve exited with a request in flight"
    );
    conn.write_all(rest.as_bytes()).expect("send the rest");
    let mut answer = String::new();
    conn.read_to_string(&mut answer).expect("read the answer");
    assert!(
        answer.starts_with("HTTP/1.1 201"),
        "the request in flight was not served: {answer}"
    );
    assert!(answer.contains("CVE-2024-0727"), "{answer}");

    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = server.try_wait().expect("wait") {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "drydock serve did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut log = String::new();
    if let Some(mut e) = server.stderr.take() {
        let _ = e.read_to_string(&mut log);
    }
    assert_eq!(status.code(), Some(0), "exit status after SIGTERM: {log}");

    // The port is free again, and the store is closed cleanly: no WAL left behind, and the
    // next process reads the record (a lock would make it wait, then fail).
    TcpListener::bind(&addr).expect("the port is released");
    let wal = dir.path().join("history.db-wal");
    assert!(
        std::fs::metadata(&wal).map_or(true, |m| m.len() == 0),
        "WAL not checkpointed: {} bytes",
        std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0)
    );
    let out = drydock()
        .args(["triage", "list", "--store", store_arg, "--format", "json"])
        .output()
        .expect("run drydock triage list");
    assert_success(&out, "drydock triage list after the server stopped");
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(
        listed.contains("CVE-2024-0727") && listed.contains("oncall"),
        "{listed}"
    );
}
