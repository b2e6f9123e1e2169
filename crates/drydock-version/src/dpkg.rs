//! Debian versions (`[epoch:]upstream[-revision]`), ordered as `dpkg --compare-versions` does.
//!
//! Written here rather than taken from the `debversion` crate, which was checked first: it
//! parses with a regular expression that accepts text dpkg refuses (`a:1.0` becomes an upstream
//! version containing a colon instead of a non-numeric epoch, `:1.0` likewise instead of an empty
//! epoch), keeps epochs as `u32` where dpkg stops at `i32::MAX`, and allocates two strings per
//! parse. The comparison here allocates nothing.
//!
//! Parsing follows dpkg's `parseversion`: surrounding blanks are trimmed; the epoch is a decimal
//! number up to `i32::MAX`; the revision is what follows the last `-`. dpkg only *warns* about an
//! upstream version that does not start with a digit or a character outside `A-Za-z0-9.+~-:`
//! (and `A-Za-z0-9.+~` in the revision); drydock treats those as errors too, since such text is
//! not a Debian version and any order given to it would be a guess.
//!
//! Ordering follows dpkg's `verrevcmp`: alternate non-digit and digit runs; in non-digit runs
//! `~` sorts before everything (even the end), then the end, then letters, then other
//! characters; digit runs compare as numbers.

use std::cmp::Ordering;

use crate::{Scheme, VersionError};

/// A parsed Debian version borrowing the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DebVersion<'a> {
    /// The epoch (0 when absent).
    pub epoch: u32,
    /// The upstream version.
    pub upstream: &'a str,
    /// The Debian revision (`""` when absent, which orders like `0`).
    pub revision: &'a str,
}

fn err(text: &str, reason: &str) -> VersionError {
    VersionError::invalid(Scheme::Dpkg, text, reason)
}

impl<'a> DebVersion<'a> {
    /// Parses `text` as dpkg does, refusing what dpkg refuses or warns about.
    pub fn parse(text: &'a str) -> Result<Self, VersionError> {
        let s = text.trim_matches([' ', '\t']);
        if s.is_empty() {
            return Err(err(text, "version string is empty"));
        }
        if s.contains([' ', '\t']) {
            return Err(err(text, "version string has embedded spaces"));
        }
        let (epoch, rest) = match s.split_once(':') {
            Some((e, rest)) => {
                if e.is_empty() {
                    return Err(err(text, "epoch in version is empty"));
                }
                if !e.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(err(text, "epoch in version is not number"));
                }
                let epoch = e
                    .parse::<u32>()
                    .ok()
                    .filter(|&n| n <= i32::MAX as u32)
                    .ok_or_else(|| err(text, "epoch in version is too big"))?;
                if rest.is_empty() {
                    return Err(err(text, "nothing after colon in version number"));
                }
                (epoch, rest)
            }
            None => (0, s),
        };
        let (upstream, revision) = match rest.rfind('-') {
            Some(i) => {
                let rev = &rest[i + 1..];
                if rev.is_empty() {
                    return Err(err(text, "revision number is empty"));
                }
                (&rest[..i], rev)
            }
            None => (rest, ""),
        };
        let first = upstream
            .bytes()
            .next()
            .ok_or_else(|| err(text, "version number is empty"))?;
        if !first.is_ascii_digit() {
            return Err(err(text, "version number does not start with digit"));
        }
        if !upstream
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-+~:".contains(&b))
        {
            return Err(err(text, "invalid character in version number"));
        }
        if !revision
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".+~".contains(&b))
        {
            return Err(err(text, "invalid character in revision number"));
        }
        Ok(DebVersion {
            epoch,
            upstream,
            revision,
        })
    }
}

impl Ord for DebVersion<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| verrevcmp(self.upstream, other.upstream))
            .then_with(|| verrevcmp(self.revision, other.revision))
    }
}

impl PartialOrd for DebVersion<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The weight of a byte in a non-digit run; 0 stands for the end of the string.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(b'~') => -1,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp` over one part (upstream or revision).
pub fn verrevcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    let digit = |s: &[u8], k: usize| s.get(k).is_some_and(u8::is_ascii_digit);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !digit(a, i)) || (j < b.len() && !digit(b, j)) {
            let (ac, bc) = (order(a.get(i).copied()), order(b.get(j).copied()));
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        while a.get(i) == Some(&b'0') {
            i += 1;
        }
        while b.get(j) == Some(&b'0') {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while digit(a, i) && digit(b, j) {
            if first_diff == Ordering::Equal {
                first_diff = a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
        if digit(a, i) {
            return Ordering::Greater;
        }
        if digit(b, j) {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

pub(crate) fn validate(v: &str) -> Result<(), VersionError> {
    DebVersion::parse(v).map(|_| ())
}

pub(crate) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(DebVersion::parse(a)?.cmp(&DebVersion::parse(b)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(a: &str, b: &str) -> Ordering {
        compare(a, b).expect("valid test versions")
    }

    #[test]
    fn policy_examples() {
        use Ordering::*;
        assert_eq!(c("1.0~rc1", "1.0"), Less);
        assert_eq!(c("1.0~~", "1.0~"), Less);
        assert_eq!(c("1.0~", "1.0"), Less);
        assert_eq!(c("1.0", "1.0+b1"), Less);
        assert_eq!(c("1.0", "1.0-0"), Equal);
        assert_eq!(c("1:0.1", "9.9"), Greater);
        assert_eq!(c("0:1.0", "1.0"), Equal);
        assert_eq!(c("1.01", "1.1"), Equal);
        assert_eq!(c("1.0a", "1.0"), Greater);
        assert_eq!(c("1.0a", "1.0+"), Less);
        assert_eq!(c("2.30-1", "2.4-1"), Greater);
        assert_eq!(c("1.2-3-4", "1.2-3-3"), Greater);
    }

    #[test]
    fn refuses_what_dpkg_refuses() {
        for bad in [
            "",
            "  ",
            ":1.0",
            "a:1.0",
            "1:",
            "1.0-",
            "1 0",
            "99999999999:1",
            "-1",
            "abc",
            "1.0_1",
            "1.0-1_2",
            "1.0é",
        ] {
            let e = compare(bad, "1.0").expect_err(bad);
            assert!(e.to_string().contains(&format!("`{bad}`")), "{e}");
        }
        assert_eq!(c(" 1.0 ", "1.0"), Ordering::Equal);
    }
}
