//! Which ordering rules apply: [`Scheme`], chosen from a drydock ecosystem or an OSV ecosystem name.

use std::fmt;
use std::str::FromStr;

use drydock_package::Ecosystem;

/// A versioning scheme: how versions of one ecosystem are spelled, ordered and ranged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scheme {
    /// Debian and Ubuntu (`dpkg --compare-versions`).
    Dpkg,
    /// Red Hat family and SUSE (`rpmvercmp` over epoch, version, release).
    Rpm,
    /// Alpine, Wolfi and Chainguard (apk-tools).
    Apk,
    /// Semantic Versioning 2.0 with Cargo's requirement syntax (crates.io).
    Semver,
    /// Semantic Versioning 2.0 with npm's range syntax.
    Npm,
    /// PEP 440 (PyPI).
    Pep440,
    /// Maven's `ComparableVersion`.
    Maven,
    /// Go modules: SemVer with a `v` prefix, `+incompatible` and pseudo-versions.
    Go,
    /// RubyGems' `Gem::Version`.
    Gem,
    /// NuGet's `NuGetVersion` (SemVer 2.0 with a fourth number, case-insensitive labels).
    Nuget,
    /// Composer's version normalisation and comparison (Packagist).
    Composer,
}

impl Scheme {
    /// Every scheme, in declaration order.
    pub const ALL: [Scheme; 11] = [
        Scheme::Dpkg,
        Scheme::Rpm,
        Scheme::Apk,
        Scheme::Semver,
        Scheme::Npm,
        Scheme::Pep440,
        Scheme::Maven,
        Scheme::Go,
        Scheme::Gem,
        Scheme::Nuget,
        Scheme::Composer,
    ];

    /// The scheme that orders an ecosystem's versions.
    pub fn for_ecosystem(e: Ecosystem) -> Scheme {
        match e {
            Ecosystem::Deb => Scheme::Dpkg,
            Ecosystem::Rpm => Scheme::Rpm,
            Ecosystem::Apk => Scheme::Apk,
            Ecosystem::Npm => Scheme::Npm,
            Ecosystem::Pypi => Scheme::Pep440,
            Ecosystem::Cargo => Scheme::Semver,
            Ecosystem::Golang => Scheme::Go,
            Ecosystem::Maven => Scheme::Maven,
            Ecosystem::Gem => Scheme::Gem,
            Ecosystem::Nuget => Scheme::Nuget,
            Ecosystem::Composer => Scheme::Composer,
        }
    }

    /// The scheme for an OSV `affected[].package.ecosystem` value. Only the part before the
    /// first `:` decides (`Debian:12`, `Alpine:v3.19`, `Red Hat:enterprise_linux:9::baseos`).
    /// `None` for ecosystems whose versions drydock cannot order (`GIT`, `Hex`, `Pub`, …).
    pub fn for_osv_ecosystem(osv: &str) -> Option<Scheme> {
        let base = osv.split(':').next().unwrap_or(osv).trim();
        let s = match base {
            "PyPI" => Scheme::Pep440,
            "crates.io" => Scheme::Semver,
            "Go" => Scheme::Go,
            "npm" => Scheme::Npm,
            "Maven" => Scheme::Maven,
            "RubyGems" => Scheme::Gem,
            "NuGet" => Scheme::Nuget,
            "Packagist" => Scheme::Composer,
            "Alpine"
            | "Wolfi"
            | "Chainguard"
            | "Alpaquita"
            | "BellSoft Hardened Containers"
            | "MinimOS" => Scheme::Apk,
            "Debian" | "Ubuntu" | "Echo" => Scheme::Dpkg,
            "Rocky Linux" | "AlmaLinux" | "Red Hat" | "SUSE" | "openSUSE" | "Mageia"
            | "Azure Linux" | "Mariner" | "openEuler" | "Photon OS" | "Oracle Linux" | "Fedora"
            | "CentOS" | "Amazon Linux" => Scheme::Rpm,
            _ => return None,
        };
        Some(s)
    }

    /// The purl type this scheme is named by on the command line (`deb`, `pypi`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Dpkg => "deb",
            Scheme::Rpm => "rpm",
            Scheme::Apk => "apk",
            Scheme::Semver => "cargo",
            Scheme::Npm => "npm",
            Scheme::Pep440 => "pypi",
            Scheme::Maven => "maven",
            Scheme::Go => "golang",
            Scheme::Gem => "gem",
            Scheme::Nuget => "nuget",
            Scheme::Composer => "composer",
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text named no scheme.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown version scheme `{0}` (expected one of: deb, rpm, apk, npm, pypi, cargo, golang, maven, gem, nuget, composer)"
)]
pub struct UnknownScheme(pub String);

impl FromStr for Scheme {
    type Err = UnknownScheme;

    /// Accepts the purl type names and every alias [`Ecosystem`] accepts (`debian`, `python`, …),
    /// plus `semver`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("semver") {
            return Ok(Scheme::Semver);
        }
        s.parse::<Ecosystem>()
            .map(Scheme::for_ecosystem)
            .map_err(|_| UnknownScheme(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purl_names_round_trip() {
        for s in Scheme::ALL {
            assert_eq!(s.to_string().parse::<Scheme>(), Ok(s));
        }
        for e in Ecosystem::ALL {
            assert_eq!(Scheme::for_ecosystem(e).to_string(), e.as_str());
        }
        assert!("cobol".parse::<Scheme>().is_err());
    }

    #[test]
    fn osv_prefix_decides() {
        let cases = [
            ("PyPI", Some(Scheme::Pep440)),
            ("crates.io", Some(Scheme::Semver)),
            ("Go", Some(Scheme::Go)),
            ("npm", Some(Scheme::Npm)),
            ("Maven", Some(Scheme::Maven)),
            ("RubyGems", Some(Scheme::Gem)),
            ("NuGet", Some(Scheme::Nuget)),
            ("Packagist", Some(Scheme::Composer)),
            ("Alpine:v3.10", Some(Scheme::Apk)),
            ("Debian:12", Some(Scheme::Dpkg)),
            ("Ubuntu:22.04:LTS", Some(Scheme::Dpkg)),
            ("Rocky Linux:9", Some(Scheme::Rpm)),
            ("AlmaLinux:8", Some(Scheme::Rpm)),
            ("Red Hat:enterprise_linux:9::appstream", Some(Scheme::Rpm)),
            ("SUSE:Linux Enterprise Server 15 SP5", Some(Scheme::Rpm)),
            ("openSUSE:Tumbleweed", Some(Scheme::Rpm)),
            ("Wolfi", Some(Scheme::Apk)),
            ("Chainguard", Some(Scheme::Apk)),
            ("GIT", None),
            ("Hex", None),
            ("", None),
        ];
        for (name, want) in cases {
            assert_eq!(Scheme::for_osv_ecosystem(name), want, "{name}");
        }
    }
}
