//! The distribution API over ureq: one repository per client, the token flow, retries.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use ureq::http::Response;
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};
use ureq::{Agent, Body};

use crate::auth::{self, Challenge, CredentialSource, Credentials, Secret};
use crate::error::{RegistryError, Result};
use crate::reference::Reference;

pub mod repository;

/// How to talk to a registry.
#[derive(Debug, Clone, Default)]
pub struct ClientOptions {
    /// Credentials given on the command line or in the environment; when `None`, Docker's
    /// `config.json` (and its helpers) is asked once the registry asks for credentials.
    pub credentials: Option<(Credentials, CredentialSource)>,
    /// Plain HTTP, or HTTPS without certificate verification.
    pub insecure: bool,
    /// A PEM file of CA certificates to trust (instead of the built-in roots).
    pub ca_file: Option<std::path::PathBuf>,
    /// Retries after 429/5xx and connection failures (default 4).
    pub retries: Option<u32>,
    /// First backoff delay (default 500 ms), doubled per retry; `Retry-After` wins when given.
    pub backoff: Option<Duration>,
}

#[derive(Clone)]
enum AuthState {
    None,
    Header(Secret),
}

/// A client for one repository of one registry.
pub(crate) struct Client {
    agent: Agent,
    base: String,
    reference: Reference,
    opts: ClientOptions,
    auth: AuthState,
    /// Whether the credentials were looked up (explicit ones, or Docker's config).
    creds: Option<Option<(Credentials, CredentialSource)>>,
}

const RETRY_AFTER_CAP: Duration = Duration::from_secs(60);

fn agent(opts: &ClientOptions, verify: bool) -> Result<Agent> {
    let mut tls = TlsConfig::builder();
    if let Some(path) = &opts.ca_file {
        tls = tls.root_certs(load_ca(path)?);
    }
    if !verify {
        tls = tls.disable_verification(true);
    }
    let config = Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_recv_response(Some(Duration::from_secs(120)))
        .max_redirects(8)
        .user_agent(format!("drydock/{}", env!("CARGO_PKG_VERSION")))
        .tls_config(tls.build())
        .build();
    Ok(config.into())
}

fn load_ca(path: &Path) -> Result<RootCerts> {
    let bad = |reason: String| RegistryError::Ca {
        path: path.to_path_buf(),
        reason,
    };
    let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let mut certs: Vec<Certificate<'static>> = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item.map_err(|e| bad(e.to_string()))? {
            PemItem::Certificate(c) => certs.push(c),
            _ => continue,
        }
    }
    if certs.is_empty() {
        return Err(bad("no PEM certificate in the file".into()));
    }
    Ok(RootCerts::Specific(Arc::new(certs)))
}

impl Client {
    pub fn new(reference: &Reference, opts: &ClientOptions) -> Result<Client> {
        let host = reference.api_host();
        let (agent, base) = if opts.insecure || reference.is_loopback() {
            // As Docker does for insecure and loopback registries: HTTPS when the registry
            // speaks it (verified unless `insecure`), plain HTTP otherwise.
            let a = agent(opts, !opts.insecure)?;
            let https = format!("https://{host}");
            match a.get(format!("{https}/v2/")).call() {
                Ok(_) => (a, https),
                Err(e) if unreachable(&e) => {
                    return Err(RegistryError::Unreachable {
                        reference: reference.to_string(),
                        host: host.to_string(),
                        message: e.to_string(),
                    });
                }
                Err(e) if opts.insecure || !is_tls_error(&e) => {
                    tracing::debug!("`{https}/v2/` failed ({e}); using plain HTTP");
                    (a, format!("http://{host}"))
                }
                Err(e) => {
                    return Err(RegistryError::Transport {
                        reference: reference.to_string(),
                        url: format!("{https}/v2/"),
                        message: format!(
                            "{e} (trust its CA with --registry-ca FILE, or skip verification with --insecure)"
                        ),
                    });
                }
            }
        } else {
            (agent(opts, true)?, format!("https://{host}"))
        };
        Ok(Client {
            agent,
            base,
            reference: reference.clone(),
            opts: opts.clone(),
            auth: AuthState::None,
            creds: opts.credentials.clone().map(Some),
        })
    }

    /// Another client for the same repository sharing the connection pool and the
    /// authentication obtained so far (for parallel blob downloads).
    pub fn fork(&self) -> Client {
        Client {
            agent: self.agent.clone(),
            base: self.base.clone(),
            reference: self.reference.clone(),
            opts: self.opts.clone(),
            auth: self.auth.clone(),
            creds: self.creds.clone(),
        }
    }

    pub fn reference(&self) -> &Reference {
        &self.reference
    }

    pub fn url(&self, tail: &str) -> String {
        format!("{}/v2/{}/{tail}", self.base, self.reference.repository())
    }

    fn name(&self) -> String {
        self.reference.to_string()
    }

    /// GET with authentication; non-2xx answers become typed errors naming the reference.
    pub fn get(&mut self, url: &str, accept: Option<&str>) -> Result<Response<Body>> {
        let mut resp = self.send(url, accept)?;
        // One (re)authentication per request: the first challenge, or an expired token.
        if resp.status().as_u16() == 401 {
            let challenge = resp
                .headers()
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok())
                .and_then(auth::parse_challenge);
            if let Some(ch) = challenge {
                self.authenticate(&ch)?;
                resp = self.send(url, accept)?;
            }
        }
        let status = resp.status().as_u16();
        match status {
            200..=299 => Ok(resp),
            401 => Err(self.unauthorized(401)),
            403 => Err(RegistryError::Forbidden {
                reference: self.name(),
                url: url.to_string(),
            }),
            404 => Err(RegistryError::NotFound {
                reference: self.name(),
                url: url.to_string(),
            }),
            s => Err(RegistryError::Status {
                reference: self.name(),
                url: url.to_string(),
                status: s,
            }),
        }
    }

    fn unauthorized(&self, status: u16) -> RegistryError {
        let hint = match &self.creds {
            Some(Some((c, src))) => format!(" as `{}` (credentials from {src})", c.username),
            _ => " without credentials (use --username/--password-stdin, DRYDOCK_USERNAME/DRYDOCK_PASSWORD or `docker login`)".to_string(),
        };
        RegistryError::Unauthorized {
            reference: self.name(),
            registry: self.reference.registry().to_string(),
            status,
            hint,
        }
    }

    fn credentials(&mut self) -> Result<Option<Credentials>> {
        if self.creds.is_none() {
            self.creds = Some(auth::from_docker_config(self.reference.registry())?);
        }
        Ok(self
            .creds
            .as_ref()
            .and_then(|c| c.as_ref())
            .map(|(c, _)| c.clone()))
    }

    fn authenticate(&mut self, challenge: &Challenge) -> Result<()> {
        let creds = self.credentials()?;
        match challenge {
            Challenge::Basic => {
                let Some(c) = creds.filter(|c| !c.is_identity_token()) else {
                    return Err(self.unauthorized(401));
                };
                self.auth = AuthState::Header(c.basic_header());
            }
            Challenge::Bearer {
                realm,
                service,
                scope,
            } => {
                let scope = scope
                    .clone()
                    .unwrap_or_else(|| format!("repository:{}:pull", self.reference.repository()));
                let mut url = format!("{realm}{}", if realm.contains('?') { '&' } else { '?' });
                if let Some(s) = service {
                    url.push_str(&format!("service={}&", encode(s)));
                }
                url.push_str(&format!("scope={}", encode(&scope)));
                let mut resp = match creds.as_ref().filter(|c| c.is_identity_token()) {
                    // OAuth2: trade the identity (refresh) token for an access token.
                    Some(c) => {
                        let mut form = vec![
                            ("grant_type", "refresh_token"),
                            ("refresh_token", c.password.expose()),
                            ("client_id", "drydock"),
                            ("scope", scope.as_str()),
                        ];
                        if let Some(s) = service {
                            form.push(("service", s.as_str()));
                        }
                        self.retrying(realm, || self.agent.post(realm).send_form(form.clone()))?
                    }
                    None => {
                        let basic = creds.as_ref().map(Credentials::basic_header);
                        self.retrying(&url, || {
                            let mut req = self.agent.get(&url);
                            if let Some(b) = &basic {
                                req = req.header("Authorization", b.expose());
                            }
                            req.call()
                        })?
                    }
                };
                match resp.status().as_u16() {
                    200..=299 => {}
                    401 | 403 => return Err(self.unauthorized(resp.status().as_u16())),
                    s => {
                        return Err(RegistryError::Status {
                            reference: self.name(),
                            url: realm.clone(),
                            status: s,
                        });
                    }
                }
                #[derive(Deserialize)]
                struct TokenReply {
                    token: Option<String>,
                    access_token: Option<String>,
                }
                let body = resp
                    .body_mut()
                    .with_config()
                    .limit(1 << 20)
                    .read_to_vec()
                    .map_err(|e| self.transport(realm, &e))?;
                let reply: TokenReply =
                    serde_json::from_slice(&body).map_err(|e| RegistryError::Malformed {
                        reference: self.name(),
                        what: format!("token reply from `{realm}`"),
                        reason: e.to_string(),
                    })?;
                let token =
                    reply
                        .token
                        .or(reply.access_token)
                        .ok_or_else(|| RegistryError::Malformed {
                            reference: self.name(),
                            what: format!("token reply from `{realm}`"),
                            reason: "no `token` or `access_token`".into(),
                        })?;
                self.auth = AuthState::Header(Secret::new(format!("Bearer {token}")));
            }
        }
        Ok(())
    }

    fn transport(&self, url: &str, e: &ureq::Error) -> RegistryError {
        if unreachable(e) {
            return RegistryError::Unreachable {
                reference: self.name(),
                host: url_host(url).to_string(),
                message: e.to_string(),
            };
        }
        let hint = if is_tls_error(e) {
            " (trust its CA with --registry-ca FILE, or skip verification with --insecure)"
        } else {
            ""
        };
        RegistryError::Transport {
            reference: self.name(),
            url: url.to_string(),
            message: format!("{e}{hint}"),
        }
    }

    fn send(&self, url: &str, accept: Option<&str>) -> Result<Response<Body>> {
        self.retrying(url, || {
            let mut req = self.agent.get(url);
            if let Some(a) = accept {
                req = req.header("Accept", a);
            }
            if let AuthState::Header(h) = &self.auth {
                req = req.header("Authorization", h.expose());
            }
            req.call()
        })
    }

    /// Runs `call` until it answers something other than 429/5xx or the retries run out.
    fn retrying(
        &self,
        url: &str,
        call: impl Fn() -> std::result::Result<Response<Body>, ureq::Error>,
    ) -> Result<Response<Body>> {
        let retries = self.opts.retries.unwrap_or(4);
        let mut delay = self.opts.backoff.unwrap_or(Duration::from_millis(500));
        let mut attempt = 0;
        loop {
            let outcome = call();
            let wait = match &outcome {
                Ok(r) => {
                    let s = r.status().as_u16();
                    if s == 429 || (500..=599).contains(&s) {
                        Some(retry_after(r).unwrap_or(delay))
                    } else {
                        None
                    }
                }
                Err(e) if transient(e) => Some(delay),
                Err(_) => None,
            };
            match wait {
                Some(w) if attempt < retries => {
                    let what = match &outcome {
                        Ok(r) => r.status().as_u16().to_string(),
                        Err(e) => e.to_string(),
                    };
                    // One line per retry at the default level: a pull that waits says why.
                    tracing::warn!(
                        "`{url}`: {what}; retrying in {:.1}s ({}/{retries})",
                        w.as_secs_f64(),
                        attempt + 1
                    );
                    std::thread::sleep(w.min(RETRY_AFTER_CAP));
                    attempt += 1;
                    delay = delay.saturating_mul(2);
                }
                _ => return outcome.map_err(|e| self.transport(url, &e)),
            }
        }
    }
}

/// A certificate problem (as opposed to a server that does not speak TLS at all).
fn is_tls_error(e: &ureq::Error) -> bool {
    // rustls' certificate errors reach us as `Error::Rustls` or wrapped in `Error::Io`.
    matches!(e, ureq::Error::Rustls(_) | ureq::Error::Io(_))
        && e.to_string().contains("invalid peer certificate")
}

/// The host cannot be reached at all: its name does not resolve, nothing listens, there is no
/// route. Retrying a second later gives the same answer, so these fail at once.
pub(crate) fn unreachable(e: &ureq::Error) -> bool {
    use std::io::ErrorKind;
    match e {
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => true,
        ureq::Error::Io(io) => {
            matches!(
                io.kind(),
                ErrorKind::ConnectionRefused
                    | ErrorKind::NetworkUnreachable
                    | ErrorKind::HostUnreachable
                    | ErrorKind::AddrNotAvailable
            ) || io.to_string().contains("failed to lookup address")
        }
        _ => false,
    }
}

/// Worth another try: a timeout, a connection reset mid-answer.
fn transient(e: &ureq::Error) -> bool {
    !unreachable(e) && !is_tls_error(e) && matches!(e, ureq::Error::Io(_) | ureq::Error::Timeout(_))
}

/// The `host[:port]` of `url`.
fn url_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split(['/', '?']).next().unwrap_or(rest)
}

/// `Retry-After: SECONDS` or an HTTP date.
fn retry_after(r: &Response<Body>) -> Option<Duration> {
    let v = r.headers().get("retry-after")?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or_default(),
    )
}

/// Percent-encodes a query value.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Reads a small body (manifest, index) whole, bounded.
pub(crate) fn read_small(
    resp: &mut Response<Body>,
    limit: u64,
    reference: &Reference,
    url: &str,
) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    resp.body_mut()
        .with_config()
        .limit(limit + 1)
        .reader()
        .take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(|e| RegistryError::Transport {
            reference: reference.to_string(),
            url: url.to_string(),
            message: e.to_string(),
        })?;
    if buf.len() as u64 > limit {
        return Err(RegistryError::Malformed {
            reference: reference.to_string(),
            what: format!("answer from `{url}`"),
            reason: format!("over {limit} bytes"),
        });
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_of_urls() {
        assert_eq!(url_host("https://ghcr.io/v2/x/manifests/1"), "ghcr.io");
        assert_eq!(url_host("http://127.0.0.1:5000/v2/"), "127.0.0.1:5000");
    }

    #[test]
    fn unreachable_errors_are_not_retried() {
        use std::io::{Error, ErrorKind};
        let refused = ureq::Error::Io(Error::from(ErrorKind::ConnectionRefused));
        assert!(unreachable(&refused) && !transient(&refused));
        assert!(unreachable(&ureq::Error::HostNotFound));
        let dns = ureq::Error::Io(Error::other(
            "failed to lookup address information: Name or service not known",
        ));
        assert!(unreachable(&dns) && !transient(&dns));
        let reset = ureq::Error::Io(Error::from(ErrorKind::ConnectionReset));
        assert!(!unreachable(&reset) && transient(&reset));
    }

    #[test]
    fn query_encoding() {
        assert_eq!(
            encode("repository:library/alpine:pull"),
            "repository%3Alibrary%2Falpine%3Apull"
        );
    }
}
