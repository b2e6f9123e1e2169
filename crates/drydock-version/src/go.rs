//! Go module versions: SemVer with a `v` prefix, `+incompatible`, and pseudo-versions.
//!
//! Written here on top of the `semver` crate, following the Go module reference
//! (<https://go.dev/ref/mod#versions>) and `golang.org/x/mod/semver`: the `v` is required by Go
//! but optional here, because OSV's Go ranges omit it; `v1` and `v1.2` are shorthands for
//! `v1.0.0` and `v1.2.0`; build metadata (including `+incompatible`) takes no part in the order.
//! Pseudo-versions (`v0.0.0-20191109021931-daa7c04131f5`) are ordinary prereleases, so they order
//! by their timestamp among themselves and before the release they precede; [`pseudo_version`]
//! takes one apart.

use std::cmp::Ordering;

use crate::{Scheme, VersionError};

/// Parses a Go version (with or without the `v`).
pub fn parse(text: &str) -> Result<semver::Version, VersionError> {
    let err = |reason: String| VersionError::invalid(Scheme::Go, text, reason);
    let s = text.strip_prefix('v').unwrap_or(text);
    // Shorthands only without prerelease or build, as in x/mod/semver.
    let core_end = s.find(['-', '+']).unwrap_or(s.len());
    let dots = s[..core_end].matches('.').count();
    let padded;
    let s = if core_end == s.len() && dots < 2 {
        padded = format!("{s}{}", ".0".repeat(2 - dots));
        &padded
    } else {
        s
    };
    semver::Version::parse(s).map_err(|e| err(e.to_string()))
}

/// The parts of a pseudo-version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PseudoVersion {
    /// `yyyymmddhhmmss`, UTC.
    pub timestamp: String,
    /// The 12-character commit hash prefix.
    pub revision: String,
}

/// Takes a pseudo-version apart; `None` for ordinary versions. Recognises the three forms of
/// the Go module reference: `vX.0.0-yyyymmddhhmmss-abcdef123456`,
/// `vX.Y.Z-pre.0.yyyymmddhhmmss-abcdef123456` and `vX.Y.(Z+1)-0.yyyymmddhhmmss-abcdef123456`.
pub fn pseudo_version(text: &str) -> Option<PseudoVersion> {
    let v = parse(text).ok()?;
    let pre = v.pre.as_str();
    let (head, rev) = pre.rsplit_once('-')?;
    let ts = head.rsplit('.').next()?;
    let ok_rev = rev.len() == 12 && rev.bytes().all(|b| b.is_ascii_hexdigit());
    let ok_ts = ts.len() == 14 && ts.bytes().all(|b| b.is_ascii_digit());
    let ok_head = head == ts || head.ends_with(&format!("0.{ts}"));
    (ok_rev && ok_ts && ok_head).then(|| PseudoVersion {
        timestamp: ts.to_string(),
        revision: rev.to_string(),
    })
}

pub(crate) fn validate(v: &str) -> Result<(), VersionError> {
    parse(v).map(|_| ())
}

pub(crate) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(parse(a)?.cmp_precedence(&parse(b)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn module_reference_examples() {
        assert_eq!(compare("v1.2.3", "1.2.3"), Ok(Equal));
        assert_eq!(compare("v1", "v1.0.0"), Ok(Equal));
        assert_eq!(compare("v1.2", "v1.2.0"), Ok(Equal));
        assert_eq!(compare("v2.0.0+incompatible", "v2.0.0"), Ok(Equal));
        assert_eq!(compare("v2.0.0+incompatible", "v1.9.9"), Ok(Greater));
        assert_eq!(compare("v1.2.3-pre", "v1.2.3"), Ok(Less));
        // A pseudo-version sorts before the release it precedes, after the one it follows.
        let p = "v1.2.4-0.20191109021931-daa7c04131f5";
        assert_eq!(compare(p, "v1.2.4"), Ok(Less));
        assert_eq!(compare(p, "v1.2.3"), Ok(Greater));
        assert_eq!(
            compare(
                "v0.0.0-20191109021931-daa7c04131f5",
                "v0.0.0-20200101000000-aaaaaaaaaaaa"
            ),
            Ok(Less)
        );
        assert_eq!(
            compare("v1.2.3-pre.0.20191109021931-daa7c04131f5", "v1.2.3-pre"),
            Ok(Greater)
        );
        assert!(compare("v1.2.3.4", "v1").is_err());
        assert!(compare("vx", "v1").is_err());
        assert!(compare("v1.02.3", "v1").is_err());
    }

    #[test]
    fn pseudo_versions() {
        let p = pseudo_version("v0.0.0-20191109021931-daa7c04131f5").expect("a pseudo-version");
        assert_eq!(p.timestamp, "20191109021931");
        assert_eq!(p.revision, "daa7c04131f5");
        assert!(pseudo_version("v1.2.4-0.20191109021931-daa7c04131f5").is_some());
        assert!(pseudo_version("v1.2.3-pre.0.20191109021931-daa7c04131f5").is_some());
        assert!(pseudo_version("v1.2.3").is_none());
        assert!(pseudo_version("v1.2.3-rc.1").is_none());
    }
}
