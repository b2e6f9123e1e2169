//! Semantic Versioning 2.0: Cargo (the `semver` crate, which is Cargo's own) and npm.
//!
//! npm versions are parsed and ordered with the `semver` crate after npm's own clean-up
//! (surrounding whitespace and one leading `v` are dropped; at most 256 characters; numbers up
//! to 2^53 - 1), not with `nodejs-semver`: checked against npm's `semver` package, nodejs-semver
//! accepts versions npm refuses (`1.2.3.0`, `1.2.3x`, `1.2.3=`, leading zeros such as `1.02.3`
//! and `1.0.0-01`). nodejs-semver is used for npm *ranges*, where its results agree with npm.

use std::cmp::Ordering;

use crate::{Scheme, VersionError};

fn cargo(v: &str) -> Result<semver::Version, VersionError> {
    semver::Version::parse(v).map_err(|e| VersionError::invalid(Scheme::Semver, v, e.to_string()))
}

fn npm(v: &str) -> Result<semver::Version, VersionError> {
    let err = |why: String| VersionError::invalid(Scheme::Npm, v, why);
    if v.len() > 256 {
        return Err(err("longer than 256 characters".into()));
    }
    let t = v.trim();
    let t = t.strip_prefix('v').unwrap_or(t);
    let parsed = semver::Version::parse(t).map_err(|e| err(e.to_string()))?;
    const MAX_SAFE: u64 = (1 << 53) - 1;
    if parsed.major > MAX_SAFE || parsed.minor > MAX_SAFE || parsed.patch > MAX_SAFE {
        return Err(err("a number is larger than 2^53 - 1".into()));
    }
    Ok(parsed)
}

/// nodejs-semver's messages are multi-line diagnostics; the first line says what is wrong.
fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s).trim()
}

pub(crate) fn validate(scheme: Scheme, v: &str) -> Result<(), VersionError> {
    match scheme {
        Scheme::Npm => npm(v).map(|_| ()),
        _ => cargo(v).map(|_| ()),
    }
}

/// SemVer precedence: build metadata does not take part.
pub(crate) fn compare(scheme: Scheme, a: &str, b: &str) -> Result<Ordering, VersionError> {
    match scheme {
        Scheme::Npm => Ok(npm(a)?.cmp_precedence(&npm(b)?)),
        _ => Ok(cargo(a)?.cmp_precedence(&cargo(b)?)),
    }
}

/// A Cargo requirement (`^1.2`, `>=1, <2`, `1.*`; a bare version means `^`).
pub(crate) fn in_cargo_range(version: &str, range: &str) -> Result<bool, VersionError> {
    let v = cargo(version)?;
    let r = semver::VersionReq::parse(range)
        .map_err(|e| VersionError::range(Scheme::Semver, range, e.to_string()))?;
    Ok(r.matches(&v))
}

/// An npm range, with npm's rule that a prerelease only matches a comparator of the same
/// `major.minor.patch` that has a prerelease itself.
pub(crate) fn in_npm_range(version: &str, range: &str) -> Result<bool, VersionError> {
    let v = npm(version)?;
    let v = nodejs_semver::Version::parse(v.to_string())
        .map_err(|e| VersionError::invalid(Scheme::Npm, version, first_line(&e.to_string())))?;
    let r = nodejs_semver::Range::parse(range).map_err(|e| {
        VersionError::range(Scheme::Npm, range, first_line(&e.to_string()).to_string())
    })?;
    Ok(r.satisfies(&v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_ignores_build() {
        for s in [Scheme::Semver, Scheme::Npm] {
            assert_eq!(compare(s, "1.0.0+a", "1.0.0+b"), Ok(Ordering::Equal));
            assert_eq!(compare(s, "1.0.0-rc.1", "1.0.0"), Ok(Ordering::Less));
            assert_eq!(
                compare(s, "1.0.0-alpha.10", "1.0.0-alpha.9"),
                Ok(Ordering::Greater)
            );
            assert_eq!(
                compare(s, "1.0.0-alpha", "1.0.0-alpha.1"),
                Ok(Ordering::Less)
            );
            assert_eq!(compare(s, "1.0.0-1", "1.0.0-a"), Ok(Ordering::Less));
            assert!(compare(s, "1.0", "1.0.0").is_err());
        }
    }

    #[test]
    fn ranges() {
        assert_eq!(in_npm_range("1.2.3", "^1.2 || 2.x"), Ok(true));
        assert_eq!(in_npm_range("2.9.0", "1.2 - 2.3"), Ok(false));
        assert_eq!(in_npm_range("1.3.0-beta", "<2"), Ok(false));
        assert_eq!(in_cargo_range("1.3.0", "1.2"), Ok(true));
        assert_eq!(in_cargo_range("2.0.0", ">=1, <2"), Ok(false));
        assert!(in_cargo_range("1.0.0", ">>1").is_err());
    }
}
