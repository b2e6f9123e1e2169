//! A one-request-per-connection HTTP proxy to put in front of the test registry: it counts
//! blob downloads, flips bytes of blobs or manifests, refuses the first manifest requests, or
//! plays the token server of the `WWW-Authenticate: Bearer` flow.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Base64 with padding: Basic credentials, Docker's config.json `auth`.
pub(super) fn base64(s: &str) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = s.as_bytes();
    let mut out = String::new();
    for chunk in b.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &c)| acc | (u32::from(c) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// Forward everything (and count blob GETs).
    Pass,
    /// Flip one byte in the middle of every blob body.
    FlipBlobs,
    /// A token server at `/token` (Basic `user:password` → bearer token) and a gate on `/v2/`.
    Bearer,
    /// Flip one byte in every manifest body.
    FlipManifests,
    /// Answer the first manifest GET with 503, the second with 429 `Retry-After: 1`.
    Flaky,
}

/// A one-request-per-connection HTTP proxy in front of the registry.
pub(super) struct Proxy {
    port: u16,
    blob_gets: Arc<AtomicUsize>,
    token_requests: Arc<Mutex<Vec<String>>>,
    refused: Arc<AtomicUsize>,
}

const TOKEN: &str = "drydock-test-token-1234";
/// The identity (refresh) token the proxy's token server accepts.
pub(super) const REFRESH: &str = "drydock-refresh-5678";

impl Proxy {
    /// In front of the registry on `upstream`; `basic` is the `user:password` the token server
    /// of `Mode::Bearer` accepts.
    pub(super) fn start(upstream: u16, mode: Mode, basic: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let blob_gets = Arc::new(AtomicUsize::new(0));
        let token_requests = Arc::new(Mutex::new(Vec::new()));
        let refused = Arc::new(AtomicUsize::new(0));
        let (gets, tokens, refusals) = (blob_gets.clone(), token_requests.clone(), refused.clone());
        let want_basic = format!("Basic {}", base64(basic));
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let (gets, tokens, want_basic) = (gets.clone(), tokens.clone(), want_basic.clone());
                let refusals = refusals.clone();
                std::thread::spawn(move || {
                    let _ = serve(
                        conn,
                        upstream,
                        port,
                        mode,
                        &gets,
                        &tokens,
                        &refusals,
                        &want_basic,
                    );
                });
            }
        });
        Proxy {
            port,
            blob_gets,
            token_requests,
            refused,
        }
    }

    pub(super) fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub(super) fn blob_gets(&self) -> usize {
        self.blob_gets.load(Ordering::SeqCst)
    }

    /// The requests the token server got: the path of a GET, `POST BODY` of a POST.
    pub(super) fn token_requests(&self) -> Vec<String> {
        self.token_requests.lock().expect("lock").clone()
    }

    /// How many manifest GETs `Mode::Flaky` has seen (the first two it refused).
    pub(super) fn manifest_gets(&self) -> usize {
        self.refused.load(Ordering::SeqCst)
    }
}

#[allow(clippy::too_many_arguments)] // test plumbing: one proxy, several counters
fn serve(
    mut conn: TcpStream,
    upstream: u16,
    own_port: u16,
    mode: Mode,
    gets: &AtomicUsize,
    tokens: &Mutex<Vec<String>>,
    refused: &AtomicUsize,
    want_basic: &str,
) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if conn.read(&mut byte)? == 0 || head.len() > 65536 {
            return Ok(());
        }
        if head.is_empty() && byte[0] == 0x16 {
            return Ok(()); // a TLS ClientHello: this proxy speaks plain HTTP only
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default().to_string();
    let mut parts = request_line.split(' ');
    let (method, path) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let reply = |conn: &mut TcpStream, status: &str, extra: &str, body: &str| {
        write!(
            conn,
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n{body}",
            body.len()
        )
    };
    // The token server's answer: `{FIELD: TOKEN}` where the request is `granted`.
    let token_reply = |conn: &mut TcpStream, granted: bool, field: &str, refusal: &str| {
        if granted {
            let body = format!(r#"{{"{field}":"{TOKEN}","expires_in":300}}"#);
            reply(conn, "200 OK", "", &body)
        } else {
            let body = format!(r#"{{"details":"{refusal}"}}"#);
            reply(conn, "401 Unauthorized", "", &body)
        }
    };
    if mode == Mode::Bearer {
        if method == "POST" && path.starts_with("/token") {
            // OAuth2 refresh-token grant (identity tokens).
            let len: usize = header("content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0u8; len.min(65536)];
            conn.read_exact(&mut body)?;
            let body = String::from_utf8_lossy(&body).into_owned();
            tokens.lock().expect("lock").push(format!("POST {body}"));
            let fields: Vec<&str> = body.split('&').collect();
            let granted = fields.contains(&"grant_type=refresh_token")
                && fields.contains(&format!("refresh_token={REFRESH}").as_str());
            return token_reply(&mut conn, granted, "access_token", "bad refresh token");
        }
        if path.starts_with("/token") {
            tokens.lock().expect("lock").push(path.to_string());
            let granted = header("authorization") == Some(want_basic);
            return token_reply(&mut conn, granted, "token", "bad credentials");
        }
        if header("authorization") != Some(&format!("Bearer {TOKEN}")) {
            let repo = path
                .strip_prefix("/v2/")
                .and_then(|p| p.split("/manifests/").next())
                .and_then(|p| p.split("/blobs/").next())
                .unwrap_or("");
            let challenge = format!(
                "WWW-Authenticate: Bearer realm=\"http://127.0.0.1:{own_port}/token\",service=\"drydock-test\",scope=\"repository:{repo}:pull\"\r\n"
            );
            return reply(
                &mut conn,
                "401 Unauthorized",
                &challenge,
                r#"{"errors":[{"code":"UNAUTHORIZED"}]}"#,
            );
        }
    }
    let is_manifest_get = method == "GET" && path.contains("/manifests/");
    if mode == Mode::Flaky && is_manifest_get {
        match refused.fetch_add(1, Ordering::SeqCst) {
            0 => return reply(&mut conn, "503 Service Unavailable", "", "{}"),
            1 => {
                return reply(
                    &mut conn,
                    "429 Too Many Requests",
                    "Retry-After: 1\r\n",
                    "{}",
                );
            }
            _ => {}
        }
    }
    let is_blob_get = method == "GET" && path.contains("/blobs/sha256:");
    if is_blob_get {
        gets.fetch_add(1, Ordering::SeqCst);
    }
    let mut up = TcpStream::connect(("127.0.0.1", upstream))?;
    let mut req = format!("{request_line}\r\n");
    for (k, v) in &headers {
        if k != "connection" && k != "authorization" {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    req.push_str("Connection: close\r\n\r\n");
    up.write_all(req.as_bytes())?;
    let mut resp = Vec::new();
    up.read_to_end(&mut resp)?;
    let flip = match mode {
        Mode::FlipBlobs => is_blob_get,
        Mode::FlipManifests => is_manifest_get,
        _ => false,
    };
    if flip
        && resp.starts_with(b"HTTP/1.1 200")
        && let Some(end) = resp.windows(4).position(|w| w == b"\r\n\r\n")
        && resp.len() > end + 4
    {
        let body = end + 4;
        let mid = body + (resp.len() - body) / 2;
        resp[mid] ^= 0x01;
    }
    conn.write_all(&resp)
}
