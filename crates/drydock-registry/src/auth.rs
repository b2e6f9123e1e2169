//! Credentials (redacted whenever printed), `WWW-Authenticate` challenges, and Docker's
//! `config.json` with its credential helpers.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use base64::Engine;
use serde::Deserialize;

use crate::error::{RegistryError, Result};
use crate::reference::DOCKER_HUB;

/// A password or token. `Debug` and `Display` print `***`; [`Secret::expose`] is the only way
/// to the value, so a secret cannot reach a log or an error message by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// A user name and password (or token) for one registry.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: Secret,
}

impl Credentials {
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Credentials {
        Credentials {
            username: username.into(),
            password: Secret::new(password),
        }
    }

    /// An identity token (an OAuth2 refresh token, as `docker login` stores for some
    /// registries), in Docker's convention: the user name `<token>`.
    pub fn identity_token(token: impl Into<String>) -> Credentials {
        Credentials::new(IDENTITY_TOKEN_USER, token)
    }

    pub fn is_identity_token(&self) -> bool {
        self.username == IDENTITY_TOKEN_USER
    }

    /// The `Authorization: Basic …` value (itself a secret).
    pub(crate) fn basic_header(&self) -> Secret {
        let raw = format!("{}:{}", self.username, self.password.expose());
        Secret(format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        ))
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &self.password)
            .finish()
    }
}

const IDENTITY_TOKEN_USER: &str = "<token>";

/// Where credentials came from, for messages ("from `~/.docker/config.json`").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialSource {
    Explicit,
    Environment,
    DockerConfig(PathBuf),
    Helper(String),
}

impl std::fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CredentialSource::Explicit => f.write_str("--username"),
            CredentialSource::Environment => f.write_str("DRYDOCK_USERNAME/DRYDOCK_PASSWORD"),
            CredentialSource::DockerConfig(p) => write!(f, "`{}`", p.display()),
            CredentialSource::Helper(h) => write!(f, "`docker-credential-{h}`"),
        }
    }
}

/// A parsed `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Challenge {
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
}

/// Parses `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`.
pub(crate) fn parse_challenge(header: &str) -> Option<Challenge> {
    let header = header.trim();
    let (scheme, rest) = header
        .split_once(char::is_whitespace)
        .unwrap_or((header, ""));
    let params = parse_params(rest);
    if scheme.eq_ignore_ascii_case("basic") {
        Some(Challenge::Basic)
    } else if scheme.eq_ignore_ascii_case("bearer") {
        Some(Challenge::Bearer {
            realm: params.get("realm")?.clone(),
            service: params.get("service").cloned(),
            scope: params.get("scope").cloned(),
        })
    } else {
        None
    }
}

/// `k="v", k2=v2` → map (keys lowercased; quoted values may hold commas and `\"`).
fn parse_params(s: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' {
                break;
            }
            key.push(c);
            chars.next();
        }
        if chars.next().is_none() {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        if let Some(n) = chars.next() {
                            value.push(n);
                        }
                    }
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        out.insert(key.trim().to_ascii_lowercase(), value.trim().to_string());
    }
    out
}

#[derive(Default, Deserialize)]
struct DockerConfig {
    #[serde(default)]
    auths: BTreeMap<String, DockerAuth>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: BTreeMap<String, String>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
}

#[derive(Default, Deserialize)]
struct DockerAuth {
    auth: Option<String>,
    username: Option<String>,
    password: Option<String>,
    identitytoken: Option<String>,
}

/// `~/.docker/config.json`, or `$DOCKER_CONFIG/config.json`.
pub fn docker_config_path() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("DOCKER_CONFIG") {
        return Some(PathBuf::from(d).join("config.json"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker/config.json"))
}

/// The host a `config.json` key names: `https://index.docker.io/v1/` → `docker.io`.
fn normalize_key(key: &str) -> String {
    let k = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let host = k.split('/').next().unwrap_or(k);
    match host {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => {
            DOCKER_HUB.to_string()
        }
        h => h.to_string(),
    }
}

/// Looks `registry` up in Docker's config: `credHelpers`, then `credsStore`, then `auths`.
pub fn from_docker_config(registry: &str) -> Result<Option<(Credentials, CredentialSource)>> {
    let Some(path) = docker_config_path() else {
        return Ok(None);
    };
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(RegistryError::io(&path, e)),
    };
    let config: DockerConfig =
        serde_json::from_slice(&bytes).map_err(|e| RegistryError::Credentials {
            registry: registry.to_string(),
            reason: format!("`{}` is not valid JSON: {e}", path.display()),
        })?;
    let helper = config
        .cred_helpers
        .iter()
        .find(|(k, _)| normalize_key(k) == registry)
        .map(|(_, h)| h.clone())
        .or(config.creds_store.clone());
    if let Some(h) = helper
        && let Some(c) = from_helper(&h, registry)?
    {
        return Ok(Some((c, CredentialSource::Helper(h))));
    }
    let Some(entry) = config
        .auths
        .iter()
        .find(|(k, _)| normalize_key(k) == registry)
        .map(|(_, a)| a)
    else {
        return Ok(None);
    };
    let bad = |reason: &str| RegistryError::Credentials {
        registry: registry.to_string(),
        reason: format!("`{}`: {reason}", path.display()),
    };
    let creds = match (&entry.auth, &entry.username, &entry.password) {
        _ if entry.identitytoken.as_ref().is_some_and(|t| !t.is_empty()) => {
            Credentials::identity_token(entry.identitytoken.clone().unwrap_or_default())
        }
        (_, Some(u), Some(p)) => Credentials::new(u.clone(), p.clone()),
        (Some(a), _, _) if !a.is_empty() => {
            let raw = base64::engine::general_purpose::STANDARD
                .decode(a.trim())
                .map_err(|_| bad("the `auth` field is not base64"))?;
            let raw = String::from_utf8(raw).map_err(|_| bad("the `auth` field is not UTF-8"))?;
            let (u, p) = raw
                .split_once(':')
                .ok_or_else(|| bad("the `auth` field is not `user:password`"))?;
            Credentials::new(u, p)
        }
        _ => return Ok(None),
    };
    Ok(Some((creds, CredentialSource::DockerConfig(path))))
}

#[derive(Deserialize)]
struct HelperReply {
    #[serde(rename = "Username")]
    username: String,
    #[serde(rename = "Secret")]
    secret: String,
}

/// Runs `docker-credential-HELPER get` with the server on stdin, as Docker does.
fn from_helper(helper: &str, registry: &str) -> Result<Option<Credentials>> {
    let err = |reason: String| RegistryError::Credentials {
        registry: registry.to_string(),
        reason,
    };
    if !helper
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(err(format!("invalid credential helper name `{helper}`")));
    }
    let program = format!("docker-credential-{helper}");
    let server = if registry == DOCKER_HUB {
        "https://index.docker.io/v1/".to_string()
    } else {
        registry.to_string()
    };
    let mut child = match Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => return Err(err(format!("cannot run `{program}`: {e}"))),
    };
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(server.as_bytes())
            .map_err(|e| err(format!("writing to `{program}`: {e}")))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| err(format!("waiting for `{program}`: {e}")))?;
    if !out.status.success() {
        let msg = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        if msg.to_ascii_lowercase().contains("credentials not found") {
            return Ok(None);
        }
        // The helper's own message, never its output on success (which holds the secret).
        return Err(err(format!("`{program} get` failed: {}", msg.trim())));
    }
    let reply: HelperReply = serde_json::from_slice(&out.stdout)
        .map_err(|_| err(format!("`{program} get` did not print credentials JSON")))?;
    Ok(Some(Credentials::new(reply.username, reply.secret)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_print() {
        let c = Credentials::new("alice", "hunter2");
        assert!(!format!("{c:?}").contains("hunter2"));
        assert!(!format!("{}", c.password).contains("hunter2"));
        assert!(!format!("{:?}", c.basic_header()).contains("aHVudGVy"));
        assert_eq!(c.basic_header().expose(), "Basic YWxpY2U6aHVudGVyMg==");
    }

    #[test]
    fn challenges() {
        assert_eq!(
            parse_challenge(
                r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull""#
            ),
            Some(Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into()),
                scope: Some("repository:library/alpine:pull".into()),
            })
        );
        assert_eq!(
            parse_challenge(r#"Basic realm="Registry Realm""#),
            Some(Challenge::Basic)
        );
        assert_eq!(
            parse_challenge(r#"bearer realm=http://x/t, scope="repository:a:pull,push""#),
            Some(Challenge::Bearer {
                realm: "http://x/t".into(),
                service: None,
                scope: Some("repository:a:pull,push".into()),
            })
        );
        assert_eq!(parse_challenge("Bearer service=x"), None);
        assert_eq!(parse_challenge("Negotiate"), None);
    }

    #[test]
    fn config_keys() {
        assert_eq!(normalize_key("https://index.docker.io/v1/"), "docker.io");
        assert_eq!(normalize_key("ghcr.io"), "ghcr.io");
        assert_eq!(normalize_key("http://127.0.0.1:5000"), "127.0.0.1:5000");
    }
}
