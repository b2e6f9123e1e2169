//! Feed keys: which slice of the DB a package is looked up in.

use drydock_package::{Ecosystem, Os, OsFamily};
use drydock_version::Scheme;
use serde::{Deserialize, Serialize};

/// The ecosystem a package lives in, as the DB indexes it.
///
/// Language packages: the OSV ecosystem name and an empty release (`PyPI`, `crates.io`, `Go`).
/// Distribution packages: the family as [`OsFamily::as_str`] spells it and the release as
/// [`Os::release`] gives it (`alpine` `3.10`, `debian` `12`, `ubuntu` `22.04`, `wolfi` ``).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct FeedKey {
    pub ecosystem: String,
    pub release: String,
}

impl FeedKey {
    /// A language ecosystem by its OSV name (`PyPI`).
    pub fn language(osv_name: &str) -> FeedKey {
        FeedKey {
            ecosystem: osv_name.to_string(),
            release: String::new(),
        }
    }

    /// A distribution release (`("alpine", "3.10")`).
    pub fn distro(family: &str, release: &str) -> FeedKey {
        FeedKey {
            ecosystem: family.to_ascii_lowercase(),
            release: release.to_string(),
        }
    }

    /// The key for a package of a language ecosystem; `None` for OS package types (use
    /// [`FeedKey::for_os`]).
    pub fn for_ecosystem(ecosystem: Ecosystem) -> Option<FeedKey> {
        ecosystem.osv_name().map(FeedKey::language)
    }

    /// The key for the OS packages of an image.
    pub fn for_os(os: &Os) -> FeedKey {
        FeedKey::distro(os.family.as_str(), &os.release())
    }

    /// Parses an OSV ecosystem string. Distribution ecosystems (`Alpine:v3.18`, `Debian:12`,
    /// `Ubuntu:22.04:LTS`, `Rocky Linux:9`, `AlmaLinux:9`, `Wolfi`) become distro keys spelled as
    /// drydock's OS detection spells them; anything else is a language ecosystem, kept verbatim.
    pub fn from_osv(ecosystem: &str) -> FeedKey {
        let (head, rest) = match ecosystem.split_once(':') {
            Some((h, r)) => (h, Some(r)),
            None => (ecosystem, None),
        };
        let family = match head {
            "Alpine" => Some(OsFamily::Alpine),
            "Wolfi" => Some(OsFamily::Wolfi),
            "Chainguard" => Some(OsFamily::Chainguard),
            "Debian" => Some(OsFamily::Debian),
            "Ubuntu" => Some(OsFamily::Ubuntu),
            "Rocky Linux" => Some(OsFamily::Rocky),
            "AlmaLinux" => Some(OsFamily::Alma),
            "Red Hat" => Some(OsFamily::Redhat),
            "openSUSE" | "SUSE" => Some(OsFamily::Suse),
            "Photon OS" => Some(OsFamily::Photon),
            "Azure Linux" => Some(OsFamily::Azurelinux),
            "CBL-Mariner" => Some(OsFamily::Mariner),
            "Mageia" | "openEuler" | "MinimOS" | "Echo" | "Bitnami" => None,
            _ => return FeedKey::language(ecosystem),
        };
        let family = match family {
            Some(f) => f.as_str().to_string(),
            None => head.to_ascii_lowercase().replace(' ', "-"),
        };
        let release = rest.unwrap_or_default();
        let release = match head {
            // `Alpine:v3.18` → `3.18`
            "Alpine" => release.trim_start_matches('v').to_string(),
            // `Ubuntu:22.04:LTS`, `Ubuntu:Pro:18.04:LTS` (Pro is its own repository).
            "Ubuntu" => {
                let parts: Vec<&str> = release.split(':').filter(|p| *p != "LTS").collect();
                if parts.first() == Some(&"Pro") {
                    return FeedKey::distro("ubuntu-pro", &parts[1..].join(":"));
                }
                parts.join(":")
            }
            _ => release.to_string(),
        };
        FeedKey::distro(&family, &release)
    }

    /// The version scheme that orders this key's versions (`None` for ecosystems drydock
    /// cannot order). A `SEMVER` range is ordered by [`Scheme::Semver`] whatever the key.
    pub fn scheme(&self) -> Option<Scheme> {
        if !self.is_distro() {
            return Scheme::for_osv_ecosystem(&self.ecosystem);
        }
        Some(match self.ecosystem.as_str() {
            "alpine" | "wolfi" | "chainguard" => Scheme::Apk,
            "debian" | "ubuntu" | "ubuntu-pro" => Scheme::Dpkg,
            "redhat" | "centos" | "rocky" | "alma" | "fedora" | "amazon" | "oracle" | "suse"
            | "cbl-mariner" | "azurelinux" | "photon" | "mageia" | "openeuler" => Scheme::Rpm,
            _ => return None,
        })
    }

    /// Language keys have no release.
    pub fn is_distro(&self) -> bool {
        !self.release.is_empty() || matches!(self.ecosystem.as_str(), "wolfi" | "chainguard")
    }

    /// The drydock ecosystem whose name normalization applies to this key's package names.
    pub(crate) fn language_ecosystem(&self) -> Option<Ecosystem> {
        Ecosystem::from_osv_name(&self.ecosystem)
    }
}

impl std::fmt::Display for FeedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.release.is_empty() {
            f.write_str(&self.ecosystem)
        } else {
            write!(f, "{} {}", self.ecosystem, self.release)
        }
    }
}

/// Normalizes a package name for storage and lookup under `key` (PEP 503 for PyPI, lower-case
/// for NuGet and Packagist, verbatim elsewhere).
pub fn normalize_package(key: &FeedKey, name: &str) -> String {
    match key.language_ecosystem() {
        Some(eco) => drydock_package::normalize_name(eco, name),
        None => name.trim().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osv_ecosystems() {
        assert_eq!(FeedKey::from_osv("PyPI"), FeedKey::language("PyPI"));
        assert_eq!(
            FeedKey::from_osv("Alpine:v3.18"),
            FeedKey::distro("alpine", "3.18")
        );
        assert_eq!(
            FeedKey::from_osv("Debian:12"),
            FeedKey::distro("debian", "12")
        );
        assert_eq!(
            FeedKey::from_osv("Ubuntu:22.04:LTS"),
            FeedKey::distro("ubuntu", "22.04")
        );
        assert_eq!(
            FeedKey::from_osv("Ubuntu:Pro:18.04:LTS"),
            FeedKey::distro("ubuntu-pro", "18.04")
        );
        assert_eq!(
            FeedKey::from_osv("Rocky Linux:9"),
            FeedKey::distro("rocky", "9")
        );
        assert_eq!(
            FeedKey::from_osv("AlmaLinux:8"),
            FeedKey::distro("alma", "8")
        );
        assert_eq!(FeedKey::from_osv("Wolfi"), FeedKey::distro("wolfi", ""));
        assert!(FeedKey::from_osv("Wolfi").is_distro());
        assert!(!FeedKey::from_osv("crates.io").is_distro());
    }

    #[test]
    fn keys_for_images_match_feed_keys() {
        let os = Os {
            family: OsFamily::Alpine,
            version: "3.10.4".into(),
            pretty_name: None,
            codename: None,
        };
        assert_eq!(FeedKey::for_os(&os), FeedKey::from_osv("Alpine:v3.10"));
        assert_eq!(
            FeedKey::for_ecosystem(Ecosystem::Pypi),
            Some(FeedKey::language("PyPI"))
        );
        let pypi = FeedKey::language("PyPI");
        assert_eq!(normalize_package(&pypi, "Zope.Interface"), "zope-interface");
        assert_eq!(pypi.scheme(), Some(Scheme::Pep440));
        assert_eq!(
            FeedKey::distro("alpine", "3.10").scheme(),
            Some(Scheme::Apk)
        );
        assert_eq!(FeedKey::from_osv("Debian:12").scheme(), Some(Scheme::Dpkg));
    }
}
