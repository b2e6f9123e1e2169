//! Image references, normalised the way Docker resolves them.

use drydock_image::Digest;

use crate::error::{RegistryError, Result};

/// The registry a reference without a host names.
pub const DOCKER_HUB: &str = "docker.io";
/// Where Docker Hub's registry API actually lives.
const DOCKER_HUB_API: &str = "registry-1.docker.io";

/// A parsed image reference: `[host[:port]/]path[:tag][@sha256:…]`.
///
/// `alpine` is `docker.io/library/alpine:latest`; a first component with a `.` or a `:`, or
/// `localhost`, is a registry host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    registry: String,
    repository: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

impl Reference {
    /// The registry as named (`docker.io`, `ghcr.io`, `127.0.0.1:5000`).
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The host (and port) the registry API is served from.
    pub fn api_host(&self) -> &str {
        if self.registry == DOCKER_HUB {
            DOCKER_HUB_API
        } else {
            &self.registry
        }
    }

    /// The repository path (`library/alpine`).
    pub fn repository(&self) -> &str {
        &self.repository
    }

    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// What to ask the manifests endpoint for: the digest when pinned, else the tag.
    pub fn manifest_ref(&self) -> String {
        match (&self.digest, &self.tag) {
            (Some(d), _) => d.to_string(),
            (None, Some(t)) => t.clone(),
            (None, None) => "latest".to_string(),
        }
    }

    /// Whether the registry is on this machine (Docker lets those speak plain HTTP).
    pub fn is_loopback(&self) -> bool {
        let host = host_without_port(&self.registry);
        host == "localhost" || host.starts_with("127.") || host == "[::1]" || host == "::1"
    }
}

/// Whether a scan target names a registry image rather than a local file.
///
/// `None` when it is (or looks like) a path: it exists, is `PATH:TAG` of an existing path,
/// starts with `/`, `.` or `~`, or ends like an archive (`.tar`, `.tar.gz`, `.tgz`, …); such
/// targets are left to `drydock_image::open` and its "no such file" error. Otherwise the
/// parsed reference, or why it is not one.
pub fn remote_reference(target: &str) -> Option<Result<Reference>> {
    let path = std::path::Path::new(target);
    if path.exists() {
        return None;
    }
    if let Some((p, tag)) = target.rsplit_once(':')
        && !tag.is_empty()
        && !tag.contains('/')
        && std::path::Path::new(p).exists()
    {
        return None;
    }
    let lower = target.to_ascii_lowercase();
    let archive = [
        ".tar", ".tar.gz", ".tgz", ".tar.zst", ".tar.xz", ".tar.bz2", ".zip",
    ]
    .iter()
    .any(|ext| {
        lower
            .split(['@', ':'])
            .next()
            .is_some_and(|n| n.ends_with(ext))
    });
    if target.starts_with(['/', '.', '~']) || target.contains('\\') || archive {
        return None;
    }
    Some(target.parse())
}

fn host_without_port(registry: &str) -> &str {
    if registry.starts_with('[') {
        // [v6]:port
        return registry.find(']').map_or(registry, |end| &registry[..=end]);
    }
    registry.split(':').next().unwrap_or(registry)
}

impl std::fmt::Display for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Reference {
    type Err = RegistryError;

    fn from_str(s: &str) -> Result<Reference> {
        let bad = |reason: &str| RegistryError::InvalidReference {
            reference: s.to_string(),
            reason: reason.to_string(),
        };
        if s.is_empty() || s.len() > 4096 {
            return Err(bad("empty or too long"));
        }
        let (name, digest) = match s.split_once('@') {
            Some((n, d)) => {
                let digest = Digest::parse(d).map_err(|_| {
                    bad("the digest must be `sha256:` and 64 hex digits (drydock verifies it)")
                })?;
                (n, Some(digest))
            }
            None => (s, None),
        };
        // A tag follows the last `:` after the last `/` (a `:` before it is a port).
        let last_slash = name.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name[last_slash..].rfind(':') {
            Some(i) => {
                let at = last_slash + i;
                (&name[..at], Some(name[at + 1..].to_string()))
            }
            None => (name, None),
        };
        if let Some(t) = &tag
            && !valid_tag(t)
        {
            return Err(bad(
                "a tag is 1 to 128 of `A-Za-z0-9_.-` and does not start with `.` or `-`",
            ));
        }
        let (registry, path) = match name.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_string(), rest.to_string())
            }
            _ => (DOCKER_HUB.to_string(), name.to_string()),
        };
        let registry = match registry.as_str() {
            "index.docker.io" | "registry-1.docker.io" => DOCKER_HUB.to_string(),
            _ => registry,
        };
        if !valid_registry(&registry) {
            return Err(bad(
                "the registry must be a host name or address, with an optional port",
            ));
        }
        let repository = if registry == DOCKER_HUB && !path.contains('/') {
            format!("library/{path}")
        } else {
            path
        };
        if !valid_repository(&repository) {
            return Err(bad(
                "a repository is lowercase `a-z0-9` components separated by `/`, with `.`, `_` or `-` inside them",
            ));
        }
        let tag = if tag.is_none() && digest.is_none() {
            Some("latest".to_string())
        } else {
            tag
        };
        Ok(Reference {
            registry,
            repository,
            tag,
            digest,
        })
    }
}

fn valid_tag(t: &str) -> bool {
    !t.is_empty()
        && t.len() <= 128
        && !t.starts_with(['.', '-'])
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

fn valid_registry(r: &str) -> bool {
    let (host, port) = if r.starts_with('[') {
        match r.find(']') {
            Some(end) => (&r[1..end], r[end + 1..].strip_prefix(':')),
            None => return false,
        }
    } else {
        match r.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (r, None),
        }
    };
    let host_ok = !host.is_empty()
        && !host.starts_with(['.', '-'])
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'));
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.parse::<u16>().is_ok());
    host_ok && port_ok
}

fn valid_repository(r: &str) -> bool {
    !r.is_empty()
        && r.len() <= 255
        && r.split('/').all(|c| {
            !c.is_empty()
                && c.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
                })
                && c.as_bytes()
                    .first()
                    .is_some_and(|b| b.is_ascii_alphanumeric())
                && c.as_bytes()
                    .last()
                    .is_some_and(|b| b.is_ascii_alphanumeric())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Reference {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn docker_hub_short_names() {
        let r = parse("alpine");
        assert_eq!(r.to_string(), "docker.io/library/alpine:latest");
        assert_eq!(r.api_host(), "registry-1.docker.io");
        assert_eq!(
            parse("bitnami/redis:7").to_string(),
            "docker.io/bitnami/redis:7"
        );
        assert_eq!(
            parse("index.docker.io/library/alpine:3.19").to_string(),
            "docker.io/library/alpine:3.19"
        );
    }

    #[test]
    fn hosts_ports_tags_and_digests() {
        let r = parse("127.0.0.1:5000/team/app:1.2");
        assert_eq!(r.registry(), "127.0.0.1:5000");
        assert_eq!(r.repository(), "team/app");
        assert_eq!(r.tag(), Some("1.2"));
        assert!(r.is_loopback());
        let r = parse("localhost/app");
        assert_eq!(r.registry(), "localhost");
        assert_eq!(r.tag(), Some("latest"));
        let d = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let r = parse(&format!("ghcr.io/o/r@{d}"));
        assert_eq!(r.tag(), None);
        assert_eq!(r.manifest_ref(), d);
        let r = parse(&format!("ghcr.io:443/o/r:v1@{d}"));
        assert_eq!(r.tag(), Some("v1"));
        assert_eq!(r.manifest_ref(), d);
        assert!(!r.is_loopback());
    }

    #[test]
    fn local_targets_are_not_references() {
        assert!(remote_reference("/no/such/file.tar").is_none());
        assert!(remote_reference("./layout:1.0").is_none());
        assert!(remote_reference("image.tar.gz").is_none());
        assert!(remote_reference(env!("CARGO_MANIFEST_DIR")).is_none());
        assert!(matches!(remote_reference("alpine:3.19"), Some(Ok(_))));
        assert!(matches!(remote_reference("Alpine"), Some(Err(_))));
    }

    #[test]
    fn invalid_references() {
        for s in [
            "",
            "Alpine",
            "alpine:",
            "alpine@sha256:abc",
            "alpine@md5:0123",
            "host:99999/x",
            "a//b",
            "-x",
            "x:-tag",
            "/abs/path",
        ] {
            assert!(s.parse::<Reference>().is_err(), "{s} should be invalid");
        }
    }
}
