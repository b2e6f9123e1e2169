//! Semantic Versioning 2.0: Cargo (the `semver` crate, which is Cargo's own) and npm (the
//! `nodejs-semver` crate, checked against npm's `semver` package).

use std::cmp::Ordering;

use crate::{Scheme, VersionError};

fn cargo(v: &str) -> Result<semver::Version, VersionError> {
    semver::Version::parse(v).map_err(|e| VersionError::invalid(Scheme::Semver, v, e.to_string()))
}

fn npm(v: &str) -> Result<nodejs_semver::Version, VersionError> {
    nodejs_semver::Version::parse(v).map_err(|e| {
        VersionError::invalid(Scheme::Npm, v, first_line(&e.to_string()).to_string())
    })
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
        Scheme::Npm => {
            let (a, b) = (npm(a)?, npm(b)?);
            // npm's `compare` ignores build metadata; nodejs-semver's `Ord` does too only for
            // equal builds, so compare the parts that have precedence.
            Ok((a.major(), a.minor(), a.patch())
                .cmp(&(b.major(), b.minor(), b.patch()))
                .then_with(|| pre_cmp(a.pre_release(), b.pre_release())))
        }
        _ => Ok(cargo(a)?.cmp_precedence(&cargo(b)?)),
    }
}

fn pre_cmp(a: &[nodejs_semver::Identifier], b: &[nodejs_semver::Identifier]) -> Ordering {
    use nodejs_semver::Identifier::{AlphaNumeric, Numeric};
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        _ => {}
    }
    for (x, y) in a.iter().zip(b) {
        let o = match (x, y) {
            (Numeric(x), Numeric(y)) => x.cmp(y),
            (Numeric(_), AlphaNumeric(_)) => Ordering::Less,
            (AlphaNumeric(_), Numeric(_)) => Ordering::Greater,
            (AlphaNumeric(x), AlphaNumeric(y)) => x.cmp(y),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
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
            assert_eq!(compare(s, "1.0.0-alpha.10", "1.0.0-alpha.9"), Ok(Ordering::Greater));
            assert_eq!(compare(s, "1.0.0-alpha", "1.0.0-alpha.1"), Ok(Ordering::Less));
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
