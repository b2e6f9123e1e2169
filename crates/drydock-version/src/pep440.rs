//! PEP 440 versions and specifier sets (PyPI), via the `pep440_rs` crate, checked against
//! Python's `packaging`.

use std::cmp::Ordering;
use std::str::FromStr;

use pep440_rs::{Version, VersionSpecifiers};

use crate::{Scheme, VersionError};

/// Parses a PEP 440 version, accepting the alternative spellings PEP 440 normalises
/// (`1.0-alpha1`, `v1.0`, `1.0.post-1`, surrounding spaces).
pub fn parse(text: &str) -> Result<Version, VersionError> {
    Version::from_str(text.trim())
        .map_err(|e| VersionError::invalid(Scheme::Pep440, text, e.to_string()))
}

pub(crate) fn validate(v: &str) -> Result<(), VersionError> {
    parse(v).map(|_| ())
}

pub(crate) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(parse(a)?.cmp(&parse(b)?))
}

/// A specifier set such as `>=1,<2,!=1.5.*`. Prereleases are members when the comparisons
/// say so (as `packaging`'s `contains(v, prereleases=True)`): an advisory range is about
/// which versions are affected, not about which a resolver would pick.
pub(crate) fn in_specifiers(version: &str, range: &str) -> Result<bool, VersionError> {
    let v = parse(version)?;
    let s = VersionSpecifiers::from_str(range)
        .map_err(|e| VersionError::range(Scheme::Pep440, range, e.to_string()))?;
    Ok(s.contains(&v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn pep440_order() {
        let order = [
            "1.0.dev456",
            "1.0a1",
            "1.0a2.dev456",
            "1.0a12.dev456",
            "1.0a12",
            "1.0b1.dev456",
            "1.0b2",
            "1.0b2.post345.dev456",
            "1.0b2.post345",
            "1.0rc1.dev456",
            "1.0rc1",
            "1.0",
            "1.0+abc.5",
            "1.0+abc.7",
            "1.0+5",
            "1.0.post456.dev34",
            "1.0.post456",
            "1.0.15",
            "1.1.dev1",
            "1!0.1",
        ];
        for w in order.windows(2) {
            assert_eq!(compare(w[0], w[1]), Ok(Less), "{} < {}", w[0], w[1]);
        }
        assert_eq!(compare("1.0", "1.0.0"), Ok(Equal));
        assert_eq!(compare("1.0-alpha1", "1.0a1"), Ok(Equal));
        assert!(compare("1.0.0-foo", "1").is_err());
    }

    #[test]
    fn specifiers() {
        assert_eq!(in_specifiers("1.5.1", ">=1,<2,!=1.5.*"), Ok(false));
        assert_eq!(in_specifiers("1.6", ">=1,<2,!=1.5.*"), Ok(true));
        assert_eq!(in_specifiers("1.4.5", "~=1.4.2"), Ok(true));
        assert_eq!(in_specifiers("1.5", "~=1.4.2"), Ok(false));
        assert!(in_specifiers("1.0", ">>1").is_err());
    }
}
