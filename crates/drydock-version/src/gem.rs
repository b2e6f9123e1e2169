//! RubyGems versions (`Gem::Version`) and requirements (`~> 1.2`, `>= 1.0, < 2`).
//!
//! Written here rather than with the `gem_version` crate, which was checked first: it stores
//! numeric segments as `u32` and turns larger numbers (`1.20240101120000`) into *strings*, which
//! then sort before every number, where Ruby compares integers of any size; it also pulls in
//! `regex` and `serde`.
//!
//! Rules, from `Gem::Version`'s documentation: a version is digits and letters in dot-separated
//! segments (`-` is read as `.pre.`); segments compare pairwise, numbers numerically (any size),
//! strings bytewise, a string segment (a prerelease) sorts before any number; trailing zero
//! segments do not count (`1.0` = `1`), also before a prerelease part (`1.0.a` = `1.a`).

use std::cmp::Ordering;

use crate::ops::Op;
use crate::{Scheme, VersionError};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    /// Digits without leading zeros.
    Num(String),
    Str(String),
}

/// A parsed RubyGems version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GemVersion {
    segs: Vec<Seg>,
}

fn valid_shape(s: &str) -> bool {
    // `[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?`
    let (main, pre) = match s.split_once('-') {
        Some((m, p)) => (m, Some(p)),
        None => (s, None),
    };
    let mut parts = main.split('.');
    let first_ok = parts
        .next()
        .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    let rest_ok = parts.all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    let pre_ok = pre.is_none_or(|p| {
        p.split('.')
            .all(|q| !q.is_empty() && q.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    });
    first_ok && rest_ok && pre_ok
}

impl GemVersion {
    /// Parses like `Gem::Version.new` (surrounding whitespace allowed; blank means `0`).
    pub fn parse(text: &str) -> Result<Self, VersionError> {
        let s = text.trim_matches(|c: char| c.is_ascii_whitespace());
        let s = if s.is_empty() { "0" } else { s };
        if !valid_shape(s) {
            return Err(VersionError::invalid(
                Scheme::Gem,
                text,
                "malformed version number string",
            ));
        }
        let s = s.replace('-', ".pre.");
        let mut segs = Vec::new();
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let start = i;
            if b[i].is_ascii_digit() {
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                segs.push(Seg::Num(s[start..i].trim_start_matches('0').to_string()));
            } else if b[i].is_ascii_alphabetic() {
                while i < b.len() && b[i].is_ascii_alphabetic() {
                    i += 1;
                }
                segs.push(Seg::Str(s[start..i].to_string()));
            } else {
                i += 1;
            }
        }
        // canonical_segments: drop trailing zeros of the release part and of the prerelease part.
        let split = segs
            .iter()
            .position(|s| matches!(s, Seg::Str(_)))
            .unwrap_or(segs.len());
        let mut pre = segs.split_off(split);
        let zero = |s: &Seg| *s == Seg::Num(String::new());
        while segs.last().is_some_and(zero) {
            segs.pop();
        }
        while pre.last().is_some_and(zero) {
            pre.pop();
        }
        segs.extend(pre);
        Ok(GemVersion { segs })
    }

    /// Has a letter in it.
    pub fn is_prerelease(&self) -> bool {
        self.segs.iter().any(|s| matches!(s, Seg::Str(_)))
    }

    /// `Gem::Version#release`: the version without its prerelease segments.
    fn release(&self) -> GemVersion {
        let mut segs: Vec<Seg> = self
            .segs
            .iter()
            .take_while(|s| matches!(s, Seg::Num(_)))
            .cloned()
            .collect();
        while segs.last() == Some(&Seg::Num(String::new())) {
            segs.pop();
        }
        GemVersion { segs }
    }

    /// `Gem::Version#bump`: drop prerelease segments and the last segment, add one to the new last.
    fn bump(&self) -> GemVersion {
        let mut nums: Vec<String> = self
            .segs
            .iter()
            .take_while(|s| matches!(s, Seg::Num(_)))
            .map(|s| match s {
                Seg::Num(n) => n.clone(),
                Seg::Str(_) => String::new(),
            })
            .collect();
        if nums.len() > 1 {
            nums.pop();
        }
        if let Some(last) = nums.last_mut() {
            *last = increment(last);
        } else {
            nums.push("1".into());
        }
        let mut segs: Vec<Seg> = nums.into_iter().map(Seg::Num).collect();
        while segs.last() == Some(&Seg::Num(String::new())) {
            segs.pop();
        }
        GemVersion { segs }
    }
}

/// Adds one to a decimal string without leading zeros ("" is zero).
fn increment(n: &str) -> String {
    let mut d: Vec<u8> = n.bytes().collect();
    let mut i = d.len();
    loop {
        if i == 0 {
            d.insert(0, b'1');
            break;
        }
        i -= 1;
        if d[i] == b'9' {
            d[i] = b'0';
        } else {
            d[i] += 1;
            break;
        }
    }
    String::from_utf8(d).unwrap_or_default()
}

impl Ord for GemVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let zero = Seg::Num(String::new());
        let n = self.segs.len().max(other.segs.len());
        for i in 0..n {
            let a = self.segs.get(i).unwrap_or(&zero);
            let b = other.segs.get(i).unwrap_or(&zero);
            let o = match (a, b) {
                (Seg::Num(x), Seg::Num(y)) => x.len().cmp(&y.len()).then_with(|| x.cmp(y)),
                (Seg::Str(_), Seg::Num(_)) => Ordering::Less,
                (Seg::Num(_), Seg::Str(_)) => Ordering::Greater,
                (Seg::Str(x), Seg::Str(y)) => x.cmp(y),
            };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for GemVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

pub(crate) fn validate(v: &str) -> Result<(), VersionError> {
    GemVersion::parse(v).map(|_| ())
}

pub(crate) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(GemVersion::parse(a)?.cmp(&GemVersion::parse(b)?))
}

/// A `Gem::Requirement`: comma-separated `op version` terms, all of which must hold; ops are
/// `=`, `!=`, `>`, `<`, `>=`, `<=` and `~>` (pessimistic: `~> 1.2` is `>= 1.2, < 2`); no op
/// means `=`.
pub(crate) fn in_requirement(version: &str, range: &str) -> Result<bool, VersionError> {
    let v = GemVersion::parse(version)?;
    let bad = |why: &str| VersionError::range(Scheme::Gem, range, why);
    let mut all = true;
    let mut n = 0;
    for term in range.split(',') {
        let t = term.trim();
        if t.is_empty() {
            return Err(bad("empty requirement"));
        }
        n += 1;
        let ok = if let Some(rest) = t.strip_prefix("~>") {
            let r = GemVersion::parse(rest.trim())?;
            v >= r && v.release() < r.bump()
        } else {
            let (op, rest) = match Op::split(t) {
                Some((op, rest)) if !t.starts_with("<<") && !t.starts_with(">>") => (op, rest),
                Some(_) => return Err(bad("unknown operator")),
                None => (Op::Eq, t),
            };
            if rest.trim_start().starts_with(['<', '>', '=', '!', '~']) {
                return Err(bad("unknown operator"));
            }
            op.holds(v.cmp(&GemVersion::parse(rest.trim())?))
        };
        all &= ok;
    }
    if n == 0 {
        return Err(bad("empty requirement"));
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn gem_version_docs() {
        assert_eq!(compare("1.0", "1.0.0"), Ok(Equal));
        assert_eq!(compare("1.0", "1.0.a"), Ok(Greater));
        assert_eq!(compare("1.8.2.a10", "1.8.2.a9"), Ok(Greater));
        assert_eq!(compare("0.beta.1", "0.0.beta.1"), Ok(Equal));
        assert_eq!(compare("5.a", "5.0.0.rc2"), Ok(Less));
        assert_eq!(compare("5.x", "5.0.0.rc2"), Ok(Greater));
        assert_eq!(compare("1.9.3", "1.9.2.99"), Ok(Greater));
        assert_eq!(compare("1.0.0-rc1", "1.0.0.pre.rc1"), Ok(Equal));
        assert_eq!(compare("", "0"), Ok(Equal));
        assert_eq!(compare("1.20240101120000", "1.9"), Ok(Greater));
        assert_eq!(
            compare("1.99999999999999999999", "1.99999999999999999998"),
            Ok(Greater)
        );
        for bad in ["junk", "1..2", "1.2 3", "-1", "1.0-"] {
            assert!(compare(bad, "1").is_err(), "{bad}");
        }
    }

    #[test]
    fn requirements() {
        assert_eq!(in_requirement("1.2.9", "~> 1.2"), Ok(true));
        assert_eq!(in_requirement("2.0", "~> 1.2"), Ok(false));
        assert_eq!(in_requirement("1.3.0", "~> 1.2.3"), Ok(false));
        assert_eq!(in_requirement("1.2.5", "~> 1.2.3"), Ok(true));
        assert_eq!(in_requirement("1.5", ">= 1.0, < 2"), Ok(true));
        assert_eq!(in_requirement("1.5", ">= 1.0, != 1.5"), Ok(false));
        assert_eq!(in_requirement("1.5", "1.5.0"), Ok(true));
        assert!(in_requirement("1.5", ">> 1").is_err());
        assert!(in_requirement("1.5", "").is_err());
    }
}
