//! Who may do what.
//!
//! - The tokens file (YAML) lists `name`, `sha256` (hex SHA-256 of the token: the file never
//!   holds a token), `role` (`viewer`, `triager`, `admin`) and an optional `expires`
//!   (`YYYY-MM-DD`, the last day the token works).
//! - API requests authenticate with `Authorization: Bearer TOKEN`. A browser logs in once on
//!   `/login` with the token and gets a server-side session (an `HttpOnly`, `SameSite=Strict`
//!   cookie); every form it posts carries the session's CSRF token, compared in constant time.
//! - Reads are open without a token when the server listens on loopback; otherwise they need a
//!   token of any role. Writes always need `triager` or `admin`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use drydock_policy::Date;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::error::{AppError, ServeError};

/// What a token may do; each role may do what the ones before it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Read pages and the API.
    Viewer,
    /// Also write triage.
    Triager,
    /// Everything (the same as triager today).
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Triager => "triager",
            Role::Admin => "admin",
        }
    }
}

/// One token of the tokens file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenEntry {
    pub name: String,
    /// Lower-case hex SHA-256 of the token.
    pub sha256: String,
    pub role: Role,
    /// The last day the token works.
    pub expires: Option<Date>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    tokens: Vec<RawEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    name: String,
    sha256: String,
    role: String,
    #[serde(default)]
    expires: Option<String>,
}

/// The tokens file, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tokens {
    entries: Vec<TokenEntry>,
}

/// The hex SHA-256 of a token, as the tokens file holds it.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl Tokens {
    pub fn load(path: &Path) -> Result<Tokens, ServeError> {
        let text = std::fs::read_to_string(path).map_err(|e| ServeError::Tokens {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Tokens::parse(&text).map_err(|message| ServeError::Tokens {
            path: path.to_path_buf(),
            message,
        })
    }

    /// Parses and checks a tokens file: every entry has a name, a 64-hex-digit hash, a known
    /// role and a valid date; names and hashes are unique.
    pub fn parse(text: &str) -> Result<Tokens, String> {
        let raw: RawFile = serde_saphyr::from_str(text).map_err(|e| e.to_string())?;
        let mut entries: Vec<TokenEntry> = Vec::with_capacity(raw.tokens.len());
        for (i, e) in raw.tokens.into_iter().enumerate() {
            let at = |m: String| format!("token #{} (`{}`): {m}", i + 1, e.name);
            if e.name.trim().is_empty() {
                return Err(format!("token #{}: empty name", i + 1));
            }
            let sha = e.sha256.trim().to_ascii_lowercase();
            if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(at(
                    "`sha256` must be 64 hex digits (`printf %s \"$TOKEN\" | sha256sum`)".into(),
                ));
            }
            let role = match e.role.trim().to_ascii_lowercase().as_str() {
                "viewer" => Role::Viewer,
                "triager" => Role::Triager,
                "admin" => Role::Admin,
                other => {
                    return Err(at(format!(
                        "unknown role `{other}` (expected viewer, triager or admin)"
                    )));
                }
            };
            let expires = e
                .expires
                .as_deref()
                .map(|d| d.trim().parse::<Date>().map_err(|err| at(err.to_string())))
                .transpose()?;
            if entries.iter().any(|x| x.name == e.name.trim()) {
                return Err(at("the name is listed twice".into()));
            }
            if entries.iter().any(|x| x.sha256 == sha) {
                return Err(at("the same token is listed twice".into()));
            }
            entries.push(TokenEntry {
                name: e.name.trim().to_string(),
                sha256: sha,
                role,
                expires,
            });
        }
        Ok(Tokens { entries })
    }

    pub fn entries(&self) -> &[TokenEntry] {
        &self.entries
    }

    /// The entry of a presented token (compared in constant time against every entry).
    fn find(&self, token: &str) -> Option<&TokenEntry> {
        let h = hash_token(token);
        let mut found = None;
        for e in &self.entries {
            if constant_time_eq(e.sha256.as_bytes(), h.as_bytes()) {
                found = Some(e);
            }
        }
        found
    }
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Random hex (session ids, CSRF tokens).
pub(crate) fn random_hex(bytes: usize) -> Result<String, AppError> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| AppError::Internal(format!("no randomness: {e}")))?;
    Ok(hex::encode(buf))
}

/// Someone the server knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Principal {
    pub name: String,
    pub role: Role,
    /// For a browser session: the CSRF token its forms must carry.
    pub csrf: Option<String>,
}

#[derive(Debug)]
struct Session {
    name: String,
    role: Role,
    csrf: String,
    token_expires: Option<Date>,
    until: Instant,
}

/// How long a browser session lasts.
const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);
pub(crate) const SESSION_COOKIE: &str = "drydock_session";
pub(crate) const LOGIN_COOKIE: &str = "drydock_login";

#[derive(Debug)]
pub(crate) struct Auth {
    tokens: Option<Tokens>,
    /// Reads without a token (the server listens on loopback).
    open_reads: bool,
    sessions: Mutex<HashMap<String, Session>>,
}

impl Auth {
    pub fn new(tokens: Option<Tokens>, open_reads: bool) -> Result<Auth, ServeError> {
        // Fail at start, not at the first login, when the OS has no randomness.
        random_hex(1).map_err(|e| ServeError::Random(e.to_string()))?;
        Ok(Auth {
            tokens,
            open_reads,
            sessions: Mutex::new(HashMap::new()),
        })
    }

    pub fn writes_possible(&self) -> bool {
        self.tokens.is_some()
    }

    fn check_token(&self, token: &str, today: Date) -> Result<Principal, AppError> {
        let Some(tokens) = &self.tokens else {
            return Err(AppError::Unauthorized(
                "this server has no tokens (start it with --tokens)".into(),
            ));
        };
        let Some(e) = tokens.find(token) else {
            return Err(AppError::Unauthorized("unknown token".into()));
        };
        if let Some(x) = e.expires
            && x < today
        {
            return Err(AppError::Unauthorized(format!(
                "the token `{}` expired on {x}",
                e.name
            )));
        }
        Ok(Principal {
            name: e.name.clone(),
            role: e.role,
            csrf: None,
        })
    }

    /// Who sent the request: a bearer token, else a session cookie, else nobody. A bearer
    /// token that is wrong or expired is an error (never a silent downgrade to anonymous).
    pub fn identify(
        &self,
        headers: &HeaderMap,
        today: Date,
    ) -> Result<Option<Principal>, AppError> {
        if let Some(v) = headers.get(axum::http::header::AUTHORIZATION) {
            let v = v
                .to_str()
                .map_err(|_| AppError::Unauthorized("malformed Authorization header".into()))?;
            let Some(token) = v
                .strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
            else {
                return Err(AppError::Unauthorized(
                    "expected `Authorization: Bearer TOKEN`".into(),
                ));
            };
            return self.check_token(token.trim(), today).map(Some);
        }
        let Some(id) = cookie(headers, SESSION_COOKIE) else {
            return Ok(None);
        };
        let mut sessions = self
            .sessions
            .lock()
            .map_err(|_| AppError::Internal("session table poisoned".into()))?;
        let now = Instant::now();
        sessions.retain(|_, s| s.until > now);
        Ok(sessions.get(&id).and_then(|s| {
            if s.token_expires.is_some_and(|x| x < today) {
                return None;
            }
            Some(Principal {
                name: s.name.clone(),
                role: s.role,
                csrf: Some(s.csrf.clone()),
            })
        }))
    }

    /// Reads: open on loopback, else any valid token.
    pub fn require_read(&self, who: &Option<Principal>) -> Result<(), AppError> {
        if self.open_reads || who.is_some() {
            Ok(())
        } else {
            Err(AppError::Unauthorized(
                "this server needs a token to read (Authorization: Bearer TOKEN, or log in)".into(),
            ))
        }
    }

    /// Writes: a `triager` or `admin` token.
    pub fn require_write<'a>(&self, who: &'a Option<Principal>) -> Result<&'a Principal, AppError> {
        match who {
            None => Err(AppError::Unauthorized(
                "triage needs a token with role triager or admin".into(),
            )),
            Some(p) if p.role < Role::Triager => Err(AppError::Forbidden(format!(
                "`{}` has role {}: triage needs triager or admin",
                p.name,
                p.role.as_str()
            ))),
            Some(p) => Ok(p),
        }
    }

    /// Starts a browser session for a token; returns the session id.
    pub fn login(&self, token: &str, today: Date) -> Result<String, AppError> {
        let p = self.check_token(token.trim(), today)?;
        let id = random_hex(32)?;
        let expires = self
            .tokens
            .as_ref()
            .and_then(|t| t.find(token.trim()))
            .and_then(|e| e.expires);
        let mut sessions = self
            .sessions
            .lock()
            .map_err(|_| AppError::Internal("session table poisoned".into()))?;
        sessions.insert(
            id.clone(),
            Session {
                name: p.name,
                role: p.role,
                csrf: random_hex(32)?,
                token_expires: expires,
                until: Instant::now() + SESSION_TTL,
            },
        );
        Ok(id)
    }

    pub fn logout(&self, headers: &HeaderMap) {
        if let (Some(id), Ok(mut s)) = (cookie(headers, SESSION_COOKIE), self.sessions.lock()) {
            s.remove(&id);
        }
    }
}

/// A cookie's value.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Checks a form's CSRF field against the session's token, and that the request comes from
/// this site when the browser says where it comes from.
pub(crate) fn check_csrf(
    headers: &HeaderMap,
    expected: Option<&str>,
    given: &str,
) -> Result<(), AppError> {
    let fail = || AppError::Forbidden("CSRF check failed: reload the page and try again".into());
    if let (Some(origin), Some(host)) = (
        headers
            .get(axum::http::header::ORIGIN)
            .and_then(|v| v.to_str().ok()),
        headers
            .get(axum::http::header::HOST)
            .and_then(|v| v.to_str().ok()),
    ) {
        let origin_host = origin.split_once("://").map(|(_, h)| h).unwrap_or(origin);
        if origin != "null" && origin_host != host {
            return Err(fail());
        }
    }
    match expected {
        Some(e) if !given.is_empty() && constant_time_eq(e.as_bytes(), given.as_bytes()) => Ok(()),
        _ => Err(fail()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    #[test]
    fn tokens_file_rules() {
        assert_eq!(hash_token("test"), HASH);
        let ok = Tokens::parse(&format!(
            "tokens:\n  - name: alice\n    sha256: {HASH}\n    role: triager\n    expires: 2027-01-31\n"
        ))
        .expect("valid");
        assert_eq!(ok.entries()[0].role, Role::Triager);
        assert_eq!(ok.find("test").map(|e| e.name.as_str()), Some("alice"));
        assert!(ok.find("tesT").is_none());
        for bad in [
            format!("tokens:\n  - name: a\n    sha256: {HASH}\n    role: root\n"),
            "tokens:\n  - name: a\n    sha256: abc\n    role: viewer\n".to_string(),
            format!(
                "tokens:\n  - name: a\n    sha256: {HASH}\n    role: viewer\n    expires: soon\n"
            ),
            format!(
                "tokens:\n  - name: a\n    sha256: {HASH}\n    role: viewer\n  - name: b\n    sha256: {HASH}\n    role: viewer\n"
            ),
            format!("tokens:\n  - name: a\n    token: x\n    sha256: {HASH}\n    role: viewer\n"),
        ] {
            assert!(Tokens::parse(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn csrf_needs_the_session_token_and_same_origin() {
        let mut h = HeaderMap::new();
        h.insert("host", "127.0.0.1:8080".parse().expect("header"));
        assert!(check_csrf(&h, Some("abc"), "abc").is_ok());
        assert!(check_csrf(&h, Some("abc"), "abd").is_err());
        assert!(check_csrf(&h, Some("abc"), "").is_err());
        assert!(check_csrf(&h, None, "abc").is_err());
        h.insert("origin", "http://evil.example".parse().expect("header"));
        assert!(check_csrf(&h, Some("abc"), "abc").is_err());
        h.insert("origin", "http://127.0.0.1:8080".parse().expect("header"));
        assert!(check_csrf(&h, Some("abc"), "abc").is_ok());
    }
}
