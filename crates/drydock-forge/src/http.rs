//! A thin blocking HTTP client for forge APIs and webhooks: JSON in and out, rate limits
//! honoured, writes spaced, tokens never shown.

use std::fmt;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ureq::Agent;

use crate::ForgeError;

/// A token: shown as `***` everywhere (`Debug`, `Display`); only the request header sees it.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub fn new(s: impl Into<String>) -> Token {
        Token(s.into())
    }
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
    /// `text` with every occurrence of the token replaced by `***`.
    pub fn redact(&self, text: &str) -> String {
        if self.0.len() < 4 {
            return text.to_string();
        }
        text.replace(&self.0, "***")
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// How fast the client may go. GitHub asks for writes at least a second apart (its secondary
/// limits); tests shrink every figure.
#[derive(Debug, Clone, Copy)]
pub struct Pacing {
    /// The least time between two writes (POST, PATCH, PUT, DELETE).
    pub write_spacing: Duration,
    /// The longest a rate limit may make us wait (one wait); beyond it the sync stops with
    /// an error naming the reset time.
    pub max_wait: Duration,
    /// Retries of one request after a rate limit or (for reads) a 5xx or timeout.
    pub retries: u32,
    /// The first back-off when the server gave no hint (doubled each time).
    pub backoff: Duration,
}

impl Pacing {
    /// GitHub's documented etiquette: one write per second, back off 60 s without a hint.
    pub const GITHUB: Pacing = Pacing {
        write_spacing: Duration::from_secs(1),
        max_wait: Duration::from_secs(15 * 60),
        retries: 4,
        backoff: Duration::from_secs(60),
    };
    /// GitLab and Gitea publish no write spacing; a short pause still keeps bursts polite.
    pub const OTHER: Pacing = Pacing {
        write_spacing: Duration::from_millis(200),
        max_wait: Duration::from_secs(15 * 60),
        retries: 4,
        backoff: Duration::from_secs(10),
    };
    /// No waiting at all except what the server asks for (tests).
    pub const FAST: Pacing = Pacing {
        write_spacing: Duration::ZERO,
        max_wait: Duration::from_secs(5),
        retries: 3,
        backoff: Duration::from_millis(10),
    };
}

/// Request counts, for `--dry-run` summaries and for tests that count writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub requests: usize,
    pub writes: usize,
    pub waits: usize,
}

/// An HTTP answer, body read.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    /// Lower-cased names.
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The URL that was asked (without query secrets: forges take none).
    pub url: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> Result<serde_json::Value, ForgeError> {
        serde_json::from_str(&self.body).map_err(|e| ForgeError::Protocol {
            url: self.url.clone(),
            message: format!("not JSON ({e})"),
        })
    }
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// The HTTP methods the forges need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Patch,
    Put,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Put => "PUT",
        }
    }
}

/// How a forge wants the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthStyle {
    /// `Authorization: Bearer T` (GitHub).
    Bearer,
    /// `PRIVATE-TOKEN: T` (GitLab).
    PrivateToken,
    /// `Authorization: token T` (Gitea, Forgejo).
    TokenPrefix,
}

/// One API: a base URL, a token, pacing, counts.
#[derive(Debug)]
pub struct Client {
    agent: Agent,
    base: String,
    origin: String,
    token: Option<Token>,
    auth: AuthStyle,
    extra_headers: Vec<(&'static str, &'static str)>,
    pacing: Pacing,
    last_write: Option<Instant>,
    blocked_until: Option<SystemTime>,
    stats: Stats,
}

/// `scheme://host[:port]` of a URL.
pub fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    if host.is_empty() {
        return None;
    }
    Some(format!(
        "{}://{}",
        scheme.to_ascii_lowercase(),
        host.to_ascii_lowercase()
    ))
}

/// A URL safe to print: scheme, host and path, no query or user info (webhook URLs carry their
/// secret in the path, so callers print only the origin for those).
pub fn display_origin(url: &str) -> String {
    origin(url).unwrap_or_else(|| "<invalid URL>".to_string())
}

pub(crate) fn agent() -> Agent {
    Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_global(Some(Duration::from_secs(120)))
        .max_redirects(0)
        .user_agent(format!("drydock/{}", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

impl Client {
    pub fn new(
        base: &str,
        token: Option<Token>,
        auth: AuthStyle,
        pacing: Pacing,
    ) -> Result<Client, ForgeError> {
        let base = base.trim_end_matches('/').to_string();
        let origin = origin(&base).ok_or_else(|| {
            ForgeError::Usage(format!(
                "`{base}` is not an http(s) URL (give the API base, e.g. https://HOST/api/v3)"
            ))
        })?;
        if !(origin.starts_with("http://") || origin.starts_with("https://")) {
            return Err(ForgeError::Usage(format!("`{base}` is not an http(s) URL")));
        }
        Ok(Client {
            agent: agent(),
            base,
            origin,
            token,
            auth,
            extra_headers: Vec::new(),
            pacing,
            last_write: None,
            blocked_until: None,
            stats: Stats::default(),
        })
    }

    pub fn with_header(mut self, name: &'static str, value: &'static str) -> Client {
        self.extra_headers.push((name, value));
        self
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn stats(&self) -> Stats {
        self.stats
    }

    pub fn token(&self) -> Option<&Token> {
        self.token.as_ref()
    }

    /// `path` (starting with `/`) under the base, or a full URL (a pagination link), which must
    /// be on the base's origin: a token is never sent elsewhere.
    pub fn url(&self, path_or_url: &str) -> Result<String, ForgeError> {
        if path_or_url.starts_with('/') {
            return Ok(format!("{}{path_or_url}", self.base));
        }
        match origin(path_or_url) {
            Some(o) if o == self.origin => Ok(path_or_url.to_string()),
            _ => Err(ForgeError::Protocol {
                url: display_origin(path_or_url),
                message: format!(
                    "a pagination link leaves the API's origin `{}`: not followed",
                    self.origin
                ),
            }),
        }
    }

    /// One request with the pacing rules: waits for a rate-limit reset seen earlier, spaces
    /// writes, honours `Retry-After` and `x-ratelimit-*` on 403/429, retries reads on 5xx and
    /// timeouts. Returns any other status as is (the caller maps it).
    pub fn send(
        &mut self,
        method: Method,
        path_or_url: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Response, ForgeError> {
        let url = self.url(path_or_url)?;
        let payload = body.map(|b| b.to_string());
        let mut attempt = 0u32;
        loop {
            self.wait_for_reset()?;
            if method != Method::Get {
                if let Some(last) = self.last_write {
                    let since = last.elapsed();
                    if since < self.pacing.write_spacing {
                        std::thread::sleep(self.pacing.write_spacing - since);
                    }
                }
                self.last_write = Some(Instant::now());
                self.stats.writes += 1;
            }
            self.stats.requests += 1;
            let result = self.call(method, &url, payload.as_deref());
            let resp = match result {
                Ok(r) => r,
                Err(e) => {
                    // A write that timed out may have landed: never repeat it blindly (the next
                    // sync finds the issue by its marker and converges).
                    if method == Method::Get && attempt < self.pacing.retries {
                        attempt += 1;
                        self.backoff(attempt);
                        continue;
                    }
                    return Err(e);
                }
            };
            self.note_limits(&resp);
            if let Some(wait) = self.rate_limited(&resp) {
                if attempt < self.pacing.retries {
                    attempt += 1;
                    let wait = wait.unwrap_or_else(|| self.pacing.backoff * 2u32.pow(attempt - 1));
                    if wait > self.pacing.max_wait {
                        return Err(ForgeError::RateLimited {
                            url: display_origin(&url),
                            wait_secs: wait.as_secs(),
                        });
                    }
                    self.stats.waits += 1;
                    tracing::info!(
                        "rate limited by {}: waiting {} s",
                        display_origin(&url),
                        wait.as_secs()
                    );
                    std::thread::sleep(wait);
                    continue;
                }
                return Err(ForgeError::RateLimited {
                    url: display_origin(&url),
                    wait_secs: 0,
                });
            }
            if resp.status >= 500 && method == Method::Get && attempt < self.pacing.retries {
                attempt += 1;
                self.backoff(attempt);
                continue;
            }
            return Ok(resp);
        }
    }

    fn backoff(&mut self, attempt: u32) {
        self.stats.waits += 1;
        std::thread::sleep(self.pacing.backoff * 2u32.pow(attempt.saturating_sub(1)));
    }

    fn call(
        &self,
        method: Method,
        url: &str,
        payload: Option<&str>,
    ) -> Result<Response, ForgeError> {
        let redact = |s: String| match &self.token {
            Some(t) => t.redact(&s),
            None => s,
        };
        let auth = self.token.as_ref().map(|t| match self.auth {
            AuthStyle::Bearer => ("Authorization", format!("Bearer {}", t.expose())),
            AuthStyle::PrivateToken => ("PRIVATE-TOKEN", t.expose().to_string()),
            AuthStyle::TokenPrefix => ("Authorization", format!("token {}", t.expose())),
        });
        let result = match method {
            Method::Get => {
                let mut req = self.agent.get(url).header("Accept", "application/json");
                for (k, v) in &self.extra_headers {
                    req = req.header(*k, *v);
                }
                if let Some((k, v)) = &auth {
                    req = req.header(*k, v.as_str());
                }
                req.call()
            }
            Method::Post | Method::Patch | Method::Put => {
                let mut req = match method {
                    Method::Post => self.agent.post(url),
                    Method::Patch => self.agent.patch(url),
                    _ => self.agent.put(url),
                }
                .header("Accept", "application/json")
                .header("Content-Type", "application/json");
                for (k, v) in &self.extra_headers {
                    req = req.header(*k, *v);
                }
                if let Some((k, v)) = &auth {
                    req = req.header(*k, v.as_str());
                }
                req.send(payload.unwrap_or("{}"))
            }
        };
        let mut resp = result.map_err(|e| ForgeError::Transport {
            url: display_origin(url),
            message: redact(e.to_string()),
        })?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    v.to_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        let body = resp
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_string()
            .map_err(|e| ForgeError::Transport {
                url: display_origin(url),
                message: redact(e.to_string()),
            })?;
        Ok(Response {
            status,
            headers,
            body,
            url: strip_query(url),
        })
    }

    /// Remembers an exhausted primary limit so the next request waits for its reset.
    fn note_limits(&mut self, r: &Response) {
        if r.header("x-ratelimit-remaining").map(str::trim) == Some("0")
            && let Some(reset) = r
                .header("x-ratelimit-reset")
                .and_then(|v| v.trim().parse::<u64>().ok())
        {
            self.blocked_until = Some(UNIX_EPOCH + Duration::from_secs(reset));
        }
    }

    fn wait_for_reset(&mut self) -> Result<(), ForgeError> {
        if let Some(until) = self.blocked_until.take()
            && let Ok(wait) = until.duration_since(SystemTime::now())
        {
            if wait > self.pacing.max_wait {
                return Err(ForgeError::RateLimited {
                    url: self.origin.clone(),
                    wait_secs: wait.as_secs(),
                });
            }
            self.stats.waits += 1;
            tracing::info!(
                "rate limit of {} used up: waiting {} s for its reset",
                self.origin,
                wait.as_secs()
            );
            std::thread::sleep(wait);
        }
        Ok(())
    }

    /// `Some(wait)` when the answer is a rate limit: 429, or 403 with `Retry-After` or
    /// `x-ratelimit-remaining: 0` (a 403 without them is a permission problem). The inner
    /// `None` means "no hint: back off".
    fn rate_limited(&mut self, r: &Response) -> Option<Option<Duration>> {
        if r.status != 429 && r.status != 403 {
            return None;
        }
        if let Some(secs) = r
            .header("retry-after")
            .and_then(|v| v.trim().parse::<u64>().ok())
        {
            return Some(Some(Duration::from_secs(secs)));
        }
        if r.header("x-ratelimit-remaining").map(str::trim) == Some("0") {
            self.blocked_until = None;
            let wait = r
                .header("x-ratelimit-reset")
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(|reset| {
                    (UNIX_EPOCH + Duration::from_secs(reset))
                        .duration_since(SystemTime::now())
                        .unwrap_or(Duration::ZERO)
                });
            return Some(wait);
        }
        if r.status == 429 {
            return Some(None);
        }
        // GitHub's secondary limit: 403 whose message says so.
        if r.body.contains("secondary rate limit") {
            return Some(None);
        }
        None
    }
}

fn strip_query(url: &str) -> String {
    url.split('?').next().unwrap_or(url).to_string()
}

/// The `rel="next"` target of a `Link` header.
pub fn next_link(link: Option<&str>) -> Option<String> {
    let link = link?;
    for part in link.split(',') {
        let mut pieces = part.split(';');
        let target = pieces.next()?.trim();
        let is_next = pieces.any(|p| {
            let p = p.trim();
            p == "rel=\"next\"" || p == "rel=next"
        });
        if is_next {
            return Some(
                target
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string(),
            );
        }
    }
    None
}

/// Percent-encodes a query value or a path segment (RFC 3986 unreserved characters kept).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_link_is_found_among_others() {
        let l = r#"<https://api.github.com/repositories/1000/issues?page=2>; rel="next", <https://api.github.com/repositories/1000/issues?page=5>; rel="last""#;
        assert_eq!(
            next_link(Some(l)).as_deref(),
            Some("https://api.github.com/repositories/1000/issues?page=2")
        );
        assert_eq!(next_link(Some(r#"<x>; rel="prev""#)), None);
        assert_eq!(next_link(None), None);
    }

    #[test]
    fn links_to_another_origin_are_refused() {
        let c = Client::new(
            "https://api.github.com",
            None,
            AuthStyle::Bearer,
            Pacing::FAST,
        )
        .expect("valid base");
        assert!(
            c.url("https://api.github.com/repositories/1/issues?page=2")
                .is_ok()
        );
        assert!(c.url("https://evil.example/steal").is_err());
        assert!(c.url("http://api.github.com/x").is_err());
    }

    #[test]
    fn tokens_never_print() {
        let t = Token::new("ghp_secret123");
        assert_eq!(format!("{t} {t:?}"), "*** Token(***)");
        assert_eq!(t.redact("bad ghp_secret123 here"), "bad *** here");
    }

    #[test]
    fn encodes_project_paths() {
        assert_eq!(encode("group/sub project"), "group%2Fsub%20project");
    }
}
