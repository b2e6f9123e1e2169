//! NuGet versions (`NuGetVersion`) and version ranges (`[1.0,2.0)`).
//!
//! Written here: no maintained crate implements NuGet's rules. From NuGet's documentation
//! ("Package versioning"): `Major.Minor[.Patch[.Revision]][-label][+metadata]`; missing numbers
//! are 0 (`1.0` = `1.0.0.0`); a prerelease sorts before the release; labels compare
//! dot-separated part by part, numeric parts numerically and before alphanumeric ones, which
//! compare case-insensitively; metadata takes no part. Ranges: `1.0` means `>= 1.0`, `[1.0]`
//! exactly 1.0, and intervals `[a,b]`, `(a,b)`, `(,b]`, `[a,)`.

use std::cmp::Ordering;

use crate::{Scheme, VersionError};

/// A parsed NuGet version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NugetVersion {
    nums: [u64; 4],
    pre: Vec<String>,
}

impl NugetVersion {
    /// Parses a NuGet version.
    pub fn parse(text: &str) -> Result<Self, VersionError> {
        let err = |why: &str| VersionError::invalid(Scheme::Nuget, text, why);
        let s = text.trim();
        let s = s
            .split_once('+')
            .map_or(s, |(v, meta)| if meta.is_empty() { "" } else { v });
        let (core, pre) = match s.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (s, None),
        };
        let parts: Vec<&str> = core.split('.').collect();
        if parts.len() < 2 || parts.len() > 4 {
            return Err(err("expected two to four numbers separated by `.`"));
        }
        let mut nums = [0u64; 4];
        for (n, p) in nums.iter_mut().zip(&parts) {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err("version numbers must be digits"));
            }
            *n = p
                .parse::<u32>()
                .map_err(|_| err("version number too large"))?
                .into();
        }
        let pre = match pre {
            None => Vec::new(),
            Some(p) => {
                let ids: Vec<String> = p.split('.').map(str::to_string).collect();
                if ids.iter().any(|i| {
                    i.is_empty() || !i.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                }) {
                    return Err(err("invalid prerelease label"));
                }
                ids
            }
        };
        Ok(NugetVersion { nums, pre })
    }
}

fn label_cmp(a: &str, b: &str) -> Ordering {
    let num = |s: &str| s.bytes().all(|c| c.is_ascii_digit());
    match (num(a), num(b)) {
        (true, true) => {
            let (a, b) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
            a.len().cmp(&b.len()).then_with(|| a.cmp(b))
        }
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => a.to_ascii_lowercase().cmp(&b.to_ascii_lowercase()),
    }
}

impl Ord for NugetVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.nums
            .cmp(&other.nums)
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => {
                    for (a, b) in self.pre.iter().zip(&other.pre) {
                        let o = label_cmp(a, b);
                        if o != Ordering::Equal {
                            return o;
                        }
                    }
                    self.pre.len().cmp(&other.pre.len())
                }
            })
    }
}

impl PartialOrd for NugetVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

pub(crate) fn validate(v: &str) -> Result<(), VersionError> {
    NugetVersion::parse(v).map(|_| ())
}

pub(crate) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(NugetVersion::parse(a)?.cmp(&NugetVersion::parse(b)?))
}

/// A NuGet range; a bare version is a minimum (`1.0` = `>= 1.0`).
pub(crate) fn in_range(version: &str, range: &str) -> Result<bool, VersionError> {
    let v = NugetVersion::parse(version)?;
    let r = range.trim();
    if !r.starts_with(['[', '(']) {
        return Ok(v >= NugetVersion::parse(r)?);
    }
    if r.contains("],") || r.contains("),") {
        return Err(VersionError::range(
            Scheme::Nuget,
            range,
            "NuGet ranges hold one interval",
        ));
    }
    crate::maven::interval_sets(Scheme::Nuget, r, compare, &|x| {
        Ok(NugetVersion::parse(x)?.cmp(&v).reverse())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn documented_order() {
        assert_eq!(compare("1.0", "1.0.0.0"), Ok(Equal));
        assert_eq!(compare("1.0.0-beta", "1.0.0"), Ok(Less));
        assert_eq!(compare("1.0.0-Beta", "1.0.0-beta"), Ok(Equal));
        assert_eq!(compare("1.0.0-beta.2", "1.0.0-beta.10"), Ok(Less));
        assert_eq!(compare("1.0.0-2", "1.0.0-beta"), Ok(Less));
        assert_eq!(compare("1.0.0+abc", "1.0.0+def"), Ok(Equal));
        assert_eq!(compare("1.0.0.1", "1.0.0"), Ok(Greater));
        assert_eq!(compare("1.0.0-alpha", "1.0.0-alpha.1"), Ok(Less));
        for bad in ["1", "1.0.0.0.0", "a.b", "1.0-", "1.0+", "1..0"] {
            assert!(compare(bad, "1.0").is_err(), "{bad}");
        }
    }

    #[test]
    fn documented_ranges() {
        assert_eq!(in_range("1.0", "1.0"), Ok(true));
        assert_eq!(in_range("0.9", "1.0"), Ok(false));
        assert_eq!(in_range("1.0", "[1.0]"), Ok(true));
        assert_eq!(in_range("1.0", "(1.0,)"), Ok(false));
        assert_eq!(in_range("1.0", "(,1.0]"), Ok(true));
        assert_eq!(in_range("1.5", "[1.0,2.0)"), Ok(true));
        assert_eq!(in_range("2.0", "[1.0,2.0)"), Ok(false));
        assert!(in_range("1.0", "(1.0)").is_err());
        assert!(in_range("1.0", "[1.0,2.0),[3.0,)").is_err());
    }
}
