//! A plain HTTP client for the tests (ureq, no redirects followed, every status returned), and
//! a server per test over a filled store with a tokens file.

#![allow(dead_code)]

use std::io::Read;

use drydock_serve::{Config, Running, hash_token};

pub const TRIAGER: &str = "alice-token-7f3c";
pub const VIEWER: &str = "victor-token-91ab";
pub const EXPIRED: &str = "olga-token-expired";
pub const ADMIN: &str = "root-token-55aa";

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .new_agent()
}

fn collect(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Resp {
    let mut r = r.expect("the server answers");
    let headers = r
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let mut body = String::new();
    r.body_mut()
        .as_reader()
        .read_to_string(&mut body)
        .expect("a UTF-8 body");
    Resp {
        status: r.status().as_u16(),
        headers,
        body,
    }
}

pub fn get(url: &str, headers: &[(&str, &str)]) -> Resp {
    let mut req = agent().get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    collect(req.call())
}

pub fn post(url: &str, headers: &[(&str, &str)], content_type: &str, body: &str) -> Resp {
    let mut req = agent().post(url).header("content-type", content_type);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    collect(req.send(body))
}

pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// A tokens file: a triager, a viewer, an admin whose token expired, an admin.
pub fn tokens_file(dir: &std::path::Path) -> std::path::PathBuf {
    let p = dir.join("tokens.yaml");
    let text = format!(
        "tokens:\n\
         \x20 - name: alice\n    sha256: {}\n    role: triager\n\
         \x20 - name: victor\n    sha256: {}\n    role: viewer\n\
         \x20 - name: olga\n    sha256: {}\n    role: admin\n    expires: 2020-01-31\n\
         \x20 - name: root\n    sha256: {}\n    role: admin\n    expires: 2999-12-31\n",
        hash_token(TRIAGER),
        hash_token(VIEWER),
        hash_token(EXPIRED),
        hash_token(ADMIN)
    );
    std::fs::write(&p, text).expect("write the tokens file");
    p
}

pub struct Server {
    pub running: Running,
    pub url: String,
    _dir: tempfile::TempDir,
}

pub fn serve(store: &str, read_only: bool) -> Server {
    let dir = tempfile::tempdir().expect("a temp dir");
    let tokens = tokens_file(dir.path());
    let running = drydock_serve::spawn(Config {
        store: store.to_string(),
        listen: "127.0.0.1:0".parse().expect("an address"),
        tokens: Some(tokens),
        read_only,
    })
    .expect("the server starts");
    Server {
        url: running.url(),
        running,
        _dir: dir,
    }
}

/// Percent-encodes a query value.
pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
