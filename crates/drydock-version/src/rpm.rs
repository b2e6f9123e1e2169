//! rpm versions (`[epoch:]version[-release]`), ordered as rpm's `rpm.vercmp` (`rpmverCmp` over
//! `rpmvercmp`) does in rpm 4.18.
//!
//! Written here rather than taken from the `rpm-version` crate, which was checked first: its
//! `rpmvercmp` port agrees with rpm, but its EVR comparison treats a missing release as an empty
//! one, while rpm orders a version *with* a release after the same version without one
//! (`1.0` < `1.0-~`, where comparing `""` with `~` would say the opposite); it also accepts any
//! text, including the empty string, which rpm refuses.
//!
//! Parsing: the epoch is the leading digits before a `:`; the release is what follows the last
//! `-`. drydock refuses text rpm itself would never produce (rpm's spec parser allows
//! `A-Za-z0-9._+~^` in versions and releases): empty parts, and any other character.
//!
//! Ordering (`rpmvercmp`): separators (anything but letters, digits, `~`, `^`) are skipped; `~`
//! sorts before everything, even the end; `^` sorts after the end but before anything else;
//! digit runs compare as numbers and beat letter runs; letter runs compare bytewise.

use std::cmp::Ordering;

use crate::{Scheme, VersionError};

/// A parsed rpm EVR borrowing the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Evr<'a> {
    /// The epoch digits (`None` when absent, which orders like `0`).
    pub epoch: Option<&'a str>,
    /// The version.
    pub version: &'a str,
    /// The release, if any.
    pub release: Option<&'a str>,
}

fn err(text: &str, reason: &str) -> VersionError {
    VersionError::invalid(Scheme::Rpm, text, reason)
}

fn allowed(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"._+~^-".contains(&b)
}

impl<'a> Evr<'a> {
    /// Parses an `[epoch:]version[-release]`.
    pub fn parse(text: &'a str) -> Result<Self, VersionError> {
        if text.is_empty() {
            return Err(err(text, "empty version"));
        }
        let (epoch, rest) = match text.split_once(':') {
            Some((e, rest)) => {
                if e.is_empty() || !e.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(err(text, "the epoch must be a number"));
                }
                (Some(e), rest)
            }
            None => (None, text),
        };
        if let Some(b) = rest.bytes().find(|&b| !allowed(b)) {
            return Err(err(
                text,
                &format!(
                    "character `{}` is not allowed",
                    char::from(b).escape_default()
                ),
            ));
        }
        let (version, release) = match rest.rfind('-') {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        if version.is_empty() {
            return Err(err(text, "empty version part"));
        }
        if release == Some("") {
            return Err(err(text, "empty release after `-`"));
        }
        Ok(Evr {
            epoch,
            version,
            release,
        })
    }
}

impl Ord for Evr<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        rpmvercmp(self.epoch.unwrap_or("0"), other.epoch.unwrap_or("0"))
            .then_with(|| rpmvercmp(self.version, other.version))
            .then_with(|| match (self.release, other.release) {
                (Some(a), Some(b)) => rpmvercmp(a, b),
                (Some(_), None) => Ordering::Greater,
                (None, Some(_)) => Ordering::Less,
                (None, None) => Ordering::Equal,
            })
    }
}

impl PartialOrd for Evr<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// rpm's `rpmvercmp` over one part.
pub fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    let sep = |c: u8| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    loop {
        while i < a.len() && sep(a[i]) {
            i += 1;
        }
        while j < b.len() && sep(b[j]) {
            j += 1;
        }
        let (ca, cb) = (a.get(i).copied(), b.get(j).copied());
        if ca == Some(b'~') || cb == Some(b'~') {
            if ca != Some(b'~') {
                return Ordering::Greater;
            }
            if cb != Some(b'~') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if ca == Some(b'^') || cb == Some(b'^') {
            if ca.is_none() {
                return Ordering::Less;
            }
            if cb.is_none() {
                return Ordering::Greater;
            }
            if ca != Some(b'^') {
                return Ordering::Greater;
            }
            if cb != Some(b'^') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        let (Some(ca), Some(_)) = (ca, cb) else {
            break;
        };
        let isnum = ca.is_ascii_digit();
        let class = |c: &u8| {
            if isnum {
                c.is_ascii_digit()
            } else {
                c.is_ascii_alphabetic()
            }
        };
        let (si, sj) = (i, j);
        while a.get(i).is_some_and(class) {
            i += 1;
        }
        while b.get(j).is_some_and(class) {
            j += 1;
        }
        if j == sj {
            // Different kinds of segment: numbers are newer than letters.
            return if isnum {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let (mut x, mut y) = (&a[si..i], &b[sj..j]);
        if isnum {
            while x.first() == Some(&b'0') {
                x = &x[1..];
            }
            while y.first() == Some(&b'0') {
                y = &y[1..];
            }
            match x.len().cmp(&y.len()) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        match x.cmp(y) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    match (i >= a.len(), j >= b.len()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

pub(crate) fn validate(v: &str) -> Result<(), VersionError> {
    Evr::parse(v).map(|_| ())
}

pub(crate) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(Evr::parse(a)?.cmp(&Evr::parse(b)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    fn c(a: &str, b: &str) -> Ordering {
        compare(a, b).expect("valid test versions")
    }

    #[test]
    fn rpm_testsuite_style_examples() {
        assert_eq!(c("1.0", "1.0"), Equal);
        assert_eq!(c("1.0", "2.0"), Less);
        assert_eq!(c("2.0.1", "2.0.1a"), Less);
        assert_eq!(c("5.5p1", "5.5p10"), Less);
        assert_eq!(c("10xyz", "10.1xyz"), Less);
        assert_eq!(c("xyz10", "xyz10.1"), Less);
        assert_eq!(c("1.0aa", "1.0a"), Greater);
        assert_eq!(c("1.0~rc1", "1.0"), Less);
        assert_eq!(c("1.0~rc1", "1.0~rc2"), Less);
        assert_eq!(c("1.0^", "1.0"), Greater);
        assert_eq!(c("1.0^git1", "1.01"), Less);
        assert_eq!(c("1.0^git1~pre", "1.0^git1"), Less);
        assert_eq!(c("a", "1"), Less);
        assert_eq!(c("1.0", "1.0-1"), Less);
        assert_eq!(c("1:1.0", "2.0"), Greater);
        assert_eq!(c("01:1", "1:1"), Equal);
        assert_eq!(c("1.0-1.el9", "1.0-1.el9_2"), Less);
    }

    #[test]
    fn refuses_junk() {
        for bad in ["", ":1", "a:1", "1-", "-1", "1 0", "1.0%{x}", "é"] {
            let e = compare(bad, "1").expect_err(bad);
            assert!(e.to_string().contains(&format!("`{bad}`")), "{e}");
        }
    }
}
