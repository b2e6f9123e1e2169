use serde::{Deserialize, Serialize};

/// A package ecosystem, named as purl types name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ecosystem {
    /// Debian and Ubuntu packages (dpkg).
    Deb,
    /// rpm packages (Red Hat family, SUSE, Mariner, …).
    Rpm,
    /// Alpine (and Wolfi/Chainguard) packages.
    Apk,
    Npm,
    Pypi,
    Cargo,
    Golang,
    Maven,
    Gem,
    Nuget,
    Composer,
}

/// The text did not name an ecosystem drydock knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown ecosystem `{0}` (expected one of: deb, rpm, apk, npm, pypi, cargo, golang, maven, gem, nuget, composer)"
)]
pub struct UnknownEcosystem(pub String);

impl Ecosystem {
    pub const ALL: [Ecosystem; 11] = [
        Ecosystem::Deb,
        Ecosystem::Rpm,
        Ecosystem::Apk,
        Ecosystem::Npm,
        Ecosystem::Pypi,
        Ecosystem::Cargo,
        Ecosystem::Golang,
        Ecosystem::Maven,
        Ecosystem::Gem,
        Ecosystem::Nuget,
        Ecosystem::Composer,
    ];

    /// The purl type (`pkg:<type>/…`).
    pub fn as_str(self) -> &'static str {
        match self {
            Ecosystem::Deb => "deb",
            Ecosystem::Rpm => "rpm",
            Ecosystem::Apk => "apk",
            Ecosystem::Npm => "npm",
            Ecosystem::Pypi => "pypi",
            Ecosystem::Cargo => "cargo",
            Ecosystem::Golang => "golang",
            Ecosystem::Maven => "maven",
            Ecosystem::Gem => "gem",
            Ecosystem::Nuget => "nuget",
            Ecosystem::Composer => "composer",
        }
    }

    /// The ecosystem name OSV uses for language ecosystems (`None` for OS package types, whose
    /// OSV ecosystem depends on the distribution, e.g. `Debian:12`).
    pub fn osv_name(self) -> Option<&'static str> {
        Some(match self {
            Ecosystem::Npm => "npm",
            Ecosystem::Pypi => "PyPI",
            Ecosystem::Cargo => "crates.io",
            Ecosystem::Golang => "Go",
            Ecosystem::Maven => "Maven",
            Ecosystem::Gem => "RubyGems",
            Ecosystem::Nuget => "NuGet",
            Ecosystem::Composer => "Packagist",
            Ecosystem::Deb | Ecosystem::Rpm | Ecosystem::Apk => return None,
        })
    }

    /// The language ecosystem for an OSV ecosystem name (`PyPI` → `pypi`).
    pub fn from_osv_name(name: &str) -> Option<Ecosystem> {
        Ecosystem::ALL
            .into_iter()
            .find(|e| e.osv_name() == Some(name))
    }

    /// OS packages are matched against distribution data; language packages against OSV.
    pub fn is_os(self) -> bool {
        matches!(self, Ecosystem::Deb | Ecosystem::Rpm | Ecosystem::Apk)
    }
}

impl std::fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Ecosystem {
    type Err = UnknownEcosystem;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.to_ascii_lowercase();
        let e = match lower.as_str() {
            "deb" | "dpkg" | "debian" => Ecosystem::Deb,
            "rpm" => Ecosystem::Rpm,
            "apk" | "alpine" => Ecosystem::Apk,
            "npm" | "node" => Ecosystem::Npm,
            "pypi" | "python" | "pip" => Ecosystem::Pypi,
            "cargo" | "crates.io" | "rust" => Ecosystem::Cargo,
            "golang" | "go" => Ecosystem::Golang,
            "maven" | "java" => Ecosystem::Maven,
            "gem" | "rubygems" | "ruby" => Ecosystem::Gem,
            "nuget" | ".net" | "dotnet" => Ecosystem::Nuget,
            "composer" | "packagist" | "php" => Ecosystem::Composer,
            _ => return Err(UnknownEcosystem(s.to_string())),
        };
        Ok(e)
    }
}

/// Normalizes a package name the way its ecosystem compares names: PEP 503 for PyPI
/// (lower-case, runs of `-`, `_`, `.` become `-`), lower-case where the registry is
/// case-insensitive (NuGet, Packagist), unchanged elsewhere.
pub fn normalize_name(ecosystem: Ecosystem, name: &str) -> String {
    match ecosystem {
        Ecosystem::Pypi => {
            let mut out = String::with_capacity(name.len());
            let mut in_sep = false;
            for c in name.trim().chars() {
                if matches!(c, '-' | '_' | '.') {
                    if !in_sep {
                        out.push('-');
                    }
                    in_sep = true;
                } else {
                    out.extend(c.to_lowercase());
                    in_sep = false;
                }
            }
            out
        }
        Ecosystem::Nuget | Ecosystem::Composer => name.trim().to_lowercase(),
        _ => name.trim().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep503() {
        assert_eq!(normalize_name(Ecosystem::Pypi, "Django"), "django");
        assert_eq!(
            normalize_name(Ecosystem::Pypi, "zope.interface"),
            "zope-interface"
        );
        assert_eq!(
            normalize_name(Ecosystem::Pypi, "Foo__Bar-.baz"),
            "foo-bar-baz"
        );
        assert_eq!(normalize_name(Ecosystem::Npm, "@Types/node"), "@Types/node");
    }

    #[test]
    fn parse_and_osv_roundtrip() {
        for e in Ecosystem::ALL {
            assert_eq!(e.as_str().parse::<Ecosystem>(), Ok(e));
            if let Some(osv) = e.osv_name() {
                assert_eq!(Ecosystem::from_osv_name(osv), Some(e));
            }
        }
        assert!("cobol".parse::<Ecosystem>().is_err());
    }
}
