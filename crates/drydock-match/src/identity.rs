//! Finding identity across scans: `(repository, ecosystem, package name, vulnerability id)`.
//!
//! The workflow layer (history, diffs, triage, tracker issues, SARIF and JSON fingerprints) rests
//! on one rule: a finding is the same finding whatever the tag, digest, installed version, layer
//! or scan time. So the image part of the identity is the *repository* (`registry/path` without
//! `:tag` or `@digest`), and the vulnerability part is the CVE when any id of the advisory group
//! is one (else the advisory's own id), so a GHSA from one feed and the CVE from another are one
//! finding.
//!
//! ```
//! use drydock_match::identity::{repository, vulnerability_id};
//! assert_eq!(repository("registry.example/team/app:1.0"), "registry.example/team/app");
//! assert_eq!(repository("alpine:3.19"), "docker.io/library/alpine");
//! assert_eq!(repository("localhost:5000/app@sha256:ab"), "localhost:5000/app");
//! assert_eq!(vulnerability_id("GHSA-xxxx", &["CVE-2024-1".into()]), "CVE-2024-1");
//! ```

use drydock_package::Ecosystem;
use sha2::{Digest, Sha256};

/// The repository of an image reference: the name without tag or digest, with Docker Hub's
/// implied `docker.io/` and `library/` spelled out (`alpine`, `library/alpine` and
/// `docker.io/library/alpine:3` are one repository). Lower-cased registry host.
pub fn repository(reference: &str) -> String {
    let name = reference.split('@').next().unwrap_or(reference);
    // A tag is a `:` after the last `/` (a `:` before it is a registry port).
    let name = match (name.rfind(':'), name.rfind('/')) {
        (Some(c), Some(s)) if c > s => &name[..c],
        (Some(c), None) => &name[..c],
        _ => name,
    };
    let (first, rest) = match name.split_once('/') {
        Some((f, r)) => (f, Some(r)),
        None => (name, None),
    };
    let is_host = |s: &str| s.contains('.') || s.contains(':') || s == "localhost";
    match rest {
        Some(rest) if is_host(first) => {
            let host = first.to_ascii_lowercase();
            if host == "docker.io" || host == "index.docker.io" || host == "registry-1.docker.io" {
                docker_hub(rest)
            } else {
                format!("{host}/{rest}")
            }
        }
        _ => docker_hub(name),
    }
}

fn docker_hub(path: &str) -> String {
    if path.contains('/') {
        format!("docker.io/{path}")
    } else {
        format!("docker.io/library/{path}")
    }
}

/// The repository of an image read from a file that names no image (a docker-archive without
/// `RepoTags`, a root filesystem tarball, an OCI layout without a name annotation): the file or
/// directory name without its archive extension, so the same archive scanned from another
/// directory keeps its identity.
pub fn repository_of_path(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    let file = trimmed.rsplit('/').next().unwrap_or(trimmed);
    for ext in [
        ".docker-archive.tar.gz",
        ".docker-archive.tar",
        ".tar.gz",
        ".tar.zst",
        ".tar.xz",
        ".tgz",
        ".tar",
    ] {
        if let Some(stem) = file.strip_suffix(ext)
            && !stem.is_empty()
        {
            return stem.to_string();
        }
    }
    file.to_string()
}

/// The vulnerability part of the identity: the first CVE among `id` and `aliases` (sorted, so
/// the choice does not depend on alias order), else `id`.
pub fn vulnerability_id(id: &str, aliases: &[String]) -> String {
    if id.starts_with("CVE-") {
        return id.to_string();
    }
    aliases
        .iter()
        .filter(|a| a.starts_with("CVE-"))
        .min()
        .cloned()
        .unwrap_or_else(|| id.to_string())
}

/// The stable fingerprint of a finding identity: hex sha256 of the four parts, first 32 chars.
pub fn fingerprint(repository: &str, ecosystem: Ecosystem, package: &str, vuln_id: &str) -> String {
    let mut h = Sha256::new();
    for part in [repository, ecosystem.as_str(), package, vuln_id] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    hex::encode(h.finalize())[..32].to_string()
}

/// Sets every finding's fingerprint to the identity under `repository` (see the module docs).
pub fn assign(findings: &mut [crate::Finding], repository: &str) {
    for f in findings {
        f.fingerprint = fingerprint(
            repository,
            f.ecosystem,
            &f.package,
            &vulnerability_id(&f.id, &f.aliases),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories() {
        for (r, want) in [
            ("registry.example/app:1.0", "registry.example/app"),
            ("registry.example/app", "registry.example/app"),
            (
                "REGISTRY.example:5000/a/b:tag@sha256:00",
                "registry.example:5000/a/b",
            ),
            ("127.0.0.1:5000/app@sha256:00", "127.0.0.1:5000/app"),
            ("alpine", "docker.io/library/alpine"),
            ("alpine:3.19", "docker.io/library/alpine"),
            ("docker.io/alpine:3", "docker.io/library/alpine"),
            ("index.docker.io/library/alpine", "docker.io/library/alpine"),
            ("bitnami/redis:7", "docker.io/bitnami/redis"),
            ("localhost/app:1", "localhost/app"),
        ] {
            assert_eq!(repository(r), want, "{r}");
        }
    }

    #[test]
    fn paths() {
        assert_eq!(repository_of_path("/tmp/x/app.tar"), "app");
        assert_eq!(repository_of_path("images/app-1.tar.gz"), "app-1");
        assert_eq!(repository_of_path("./layout/"), "layout");
        assert_eq!(repository_of_path(".tar"), ".tar");
    }

    #[test]
    fn vulnerability_ids() {
        assert_eq!(vulnerability_id("CVE-1", &[]), "CVE-1");
        assert_eq!(
            vulnerability_id(
                "GHSA-1",
                &["PYSEC-2".into(), "CVE-9".into(), "CVE-3".into()]
            ),
            "CVE-3"
        );
        assert_eq!(
            vulnerability_id("RUSTSEC-1", &["GHSA-2".into()]),
            "RUSTSEC-1"
        );
    }

    #[test]
    fn fingerprint_depends_on_every_part() {
        let a = fingerprint("r", Ecosystem::Pypi, "p", "CVE-1");
        assert_ne!(a, fingerprint("r2", Ecosystem::Pypi, "p", "CVE-1"));
        assert_ne!(a, fingerprint("r", Ecosystem::Npm, "p", "CVE-1"));
        assert_ne!(a, fingerprint("r", Ecosystem::Pypi, "p2", "CVE-1"));
        assert_ne!(a, fingerprint("r", Ecosystem::Pypi, "p", "CVE-2"));
        assert_eq!(a.len(), 32);
    }
}
