//! Maven versions, ordered as Maven's `ComparableVersion` (maven-artifact 3.8), and Maven
//! version ranges (`[1.0,2.0)`, `(,1.0],[1.2,)`).
//!
//! Written here: no maintained crate implements `ComparableVersion`. The rules, from its
//! javadoc, checked against maven-artifact's own class when a Maven install is present:
//!
//! - the version is lower-cased and split at `.` and `-` and at every change between digits and
//!   letters; a `-` or a digit/letter change opens a sub-list, and so does a qualifier after
//!   `.` (`1.0.a` = `1-a`);
//! - numbers compare numerically; the qualifiers `alpha` < `beta` < `milestone` < `rc` (= `cr`)
//!   < `snapshot` < `""` (= `ga` = `final` = `release`) < `sp`, then unknown qualifiers
//!   alphabetically; `a1`, `b1`, `m1` mean `alpha-1`, `beta-1`, `milestone-1`;
//! - trailing "null" items (`0`, `""`, `final`, …) are dropped, so `1.0.0` = `1` = `1-ga`;
//! - a number is newer than a sub-list, which is newer than a qualifier (`1-1` < `1.1`).
//!
//! Every text is a valid Maven version (Maven orders anything); drydock refuses only the empty
//! string and text with whitespace or control characters.

use std::cmp::Ordering;

use crate::{Scheme, VersionError};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    /// Digits without leading zeros ("" for zero).
    Int(String),
    Str(String),
    List(Vec<Item>),
}

const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];

/// `comparableQualifier`: known qualifiers rank by position; unknown ones after all, by name.
fn qualifier_key(q: &str) -> (usize, &str) {
    match QUALIFIERS.iter().position(|k| *k == q) {
        Some(i) => (i, ""),
        None => (QUALIFIERS.len(), q),
    }
}

const RELEASE: usize = 5;

fn int_cmp(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

impl Item {
    fn is_null(&self) -> bool {
        match self {
            Item::Int(d) => d.is_empty(),
            Item::Str(s) => qualifier_key(s) == (RELEASE, ""),
            Item::List(l) => l.is_empty(),
        }
    }

    /// `compareTo(null)`: against a missing item.
    fn cmp_missing(&self) -> Ordering {
        match self {
            Item::Int(d) => {
                if d.is_empty() {
                    Ordering::Equal
                } else {
                    Ordering::Greater
                }
            }
            Item::Str(s) => qualifier_key(s).cmp(&(RELEASE, "")),
            // Every item counts, not only the first (MNG-6964): `1-0.5` > `1`.
            Item::List(l) => l
                .iter()
                .map(Item::cmp_missing)
                .find(|o| *o != Ordering::Equal)
                .unwrap_or(Ordering::Equal),
        }
    }

    fn cmp_item(&self, other: &Item) -> Ordering {
        use Item::*;
        match (self, other) {
            (Int(a), Int(b)) => int_cmp(a, b),
            (Int(_), _) => Ordering::Greater,
            (Str(_), Int(_)) => Ordering::Less,
            (Str(a), Str(b)) => qualifier_key(a).cmp(&qualifier_key(b)),
            (Str(_), List(_)) => Ordering::Less,
            (List(_), Int(_)) => Ordering::Less,
            (List(_), Str(_)) => Ordering::Greater,
            (List(a), List(b)) => list_cmp(a, b),
        }
    }
}

fn list_cmp(a: &[Item], b: &[Item]) -> Ordering {
    let n = a.len().max(b.len());
    for i in 0..n {
        let o = match (a.get(i), b.get(i)) {
            (Some(x), Some(y)) => x.cmp_item(y),
            (Some(x), None) => x.cmp_missing(),
            (None, Some(y)) => y.cmp_missing().reverse(),
            (None, None) => Ordering::Equal,
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

fn parse_item(digit: bool, s: &str, followed_by_digit: bool) -> Item {
    if digit {
        return Item::Int(s.trim_start_matches('0').to_string());
    }
    let s = if followed_by_digit && s.len() == 1 {
        match s {
            "a" => "alpha",
            "b" => "beta",
            "m" => "milestone",
            _ => s,
        }
    } else {
        s
    };
    let s = match s {
        "ga" | "final" | "release" => "",
        "cr" => "rc",
        _ => s,
    };
    Item::Str(s.to_string())
}

/// Drops null items from the end, looking past (non-null) sub-lists as Maven does.
fn normalize(l: &mut Vec<Item>) {
    let mut i = l.len();
    while i > 0 {
        i -= 1;
        if l[i].is_null() {
            l.remove(i);
        } else if !matches!(l[i], Item::List(_)) {
            break;
        }
    }
}

/// A parsed Maven version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MavenVersion {
    items: Vec<Item>,
}

impl MavenVersion {
    /// Parses like `ComparableVersion.parseVersion`.
    pub fn parse(text: &str) -> Result<Self, VersionError> {
        if text.is_empty() {
            return Err(VersionError::invalid(Scheme::Maven, text, "empty version"));
        }
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(VersionError::invalid(
                Scheme::Maven,
                text,
                "whitespace or control character in version",
            ));
        }
        let v = text.to_lowercase();
        // A stack of lists: the last one is being filled; each is a child of the one before.
        let mut stack: Vec<Vec<Item>> = vec![Vec::new()];
        let mut digit = false;
        let mut start = 0;
        let chars: Vec<(usize, char)> = v.char_indices().collect();
        let push = |stack: &mut Vec<Vec<Item>>, it: Item| {
            if let Some(top) = stack.last_mut() {
                top.push(it);
            }
        };
        for &(i, c) in &chars {
            if c == '.' || c == '-' {
                let it = if i == start {
                    Item::Int(String::new())
                } else {
                    parse_item(digit, &v[start..i], false)
                };
                push(&mut stack, it);
                start = i + 1;
                if c == '-' {
                    stack.push(Vec::new());
                }
            } else if c.is_ascii_digit() {
                if !digit && i > start {
                    // `.X` counts as `-X` for a qualifier X: it opens a sub-list.
                    if stack.last().is_some_and(|l| !l.is_empty()) {
                        stack.push(Vec::new());
                    }
                    push(&mut stack, parse_item(false, &v[start..i], true));
                    start = i;
                    stack.push(Vec::new());
                }
                digit = true;
            } else {
                if digit && i > start {
                    push(&mut stack, parse_item(true, &v[start..i], false));
                    start = i;
                    stack.push(Vec::new());
                }
                digit = false;
            }
        }
        if v.len() > start {
            if !digit && stack.last().is_some_and(|l| !l.is_empty()) {
                stack.push(Vec::new());
            }
            push(&mut stack, parse_item(digit, &v[start..], false));
        }
        while stack.len() > 1 {
            let mut l = stack.pop().unwrap_or_default();
            normalize(&mut l);
            push(&mut stack, Item::List(l));
        }
        let mut items = stack.pop().unwrap_or_default();
        normalize(&mut items);
        Ok(MavenVersion { items })
    }
}

impl Ord for MavenVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        list_cmp(&self.items, &other.items)
    }
}

impl PartialOrd for MavenVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

pub(crate) fn validate(v: &str) -> Result<(), VersionError> {
    MavenVersion::parse(v).map(|_| ())
}

pub(crate) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(MavenVersion::parse(a)?.cmp(&MavenVersion::parse(b)?))
}

/// A Maven range: comma-separated intervals `[a,b]`, `(a,b)`, `[a,)`, `(,b]`, `[a]`; a version
/// is inside when any interval holds it. A bare version (Maven's "soft" requirement) is taken
/// as an exact match.
pub(crate) fn in_range(version: &str, range: &str) -> Result<bool, VersionError> {
    let v = MavenVersion::parse(version)?;
    interval_sets(Scheme::Maven, range, compare, &|x| {
        Ok(MavenVersion::parse(x)?.cmp(&v).reverse())
    })
}

/// Shared by Maven and NuGet: evaluates `[a,b)`-style interval lists. `cmp_v(x)` orders the
/// version against `x`.
pub(crate) fn interval_sets(
    scheme: Scheme,
    range: &str,
    order: impl Fn(&str, &str) -> Result<Ordering, VersionError>,
    cmp_v: &dyn Fn(&str) -> Result<Ordering, VersionError>,
) -> Result<bool, VersionError> {
    let bad = |why: &str| VersionError::range(scheme, range, why);
    let r: String = range.chars().filter(|c| !c.is_whitespace()).collect();
    if r.is_empty() {
        return Err(bad("empty range"));
    }
    if !r.starts_with(['[', '(']) {
        return Ok(cmp_v(&r)? == Ordering::Equal);
    }
    let mut rest = r.as_str();
    let mut any = false;
    while !rest.is_empty() {
        let open = rest.as_bytes()[0];
        if open != b'[' && open != b'(' {
            return Err(bad("expected `[` or `(`"));
        }
        let end = rest
            .find([']', ')'])
            .ok_or_else(|| bad("unclosed interval"))?;
        let close = rest.as_bytes()[end];
        let body = &rest[1..end];
        rest = rest[end + 1..]
            .strip_prefix(',')
            .unwrap_or(&rest[end + 1..]);
        let inside = match body.split_once(',') {
            None => {
                if open != b'[' || close != b']' || body.is_empty() {
                    return Err(bad("a single version must be written `[v]`"));
                }
                cmp_v(body)? == Ordering::Equal
            }
            Some((lo, hi)) => {
                if hi.contains(',') {
                    return Err(bad("more than two bounds in an interval"));
                }
                if !lo.is_empty() && !hi.is_empty() && order(lo, hi)? == Ordering::Greater {
                    return Err(bad("lower bound above upper bound"));
                }
                let lo_ok = lo.is_empty() || {
                    let o = cmp_v(lo)?;
                    o == Ordering::Greater || (open == b'[' && o == Ordering::Equal)
                };
                let hi_ok = hi.is_empty() || {
                    let o = cmp_v(hi)?;
                    o == Ordering::Less || (close == b']' && o == Ordering::Equal)
                };
                lo_ok && hi_ok
            }
        };
        any |= inside;
    }
    Ok(any)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The orderings listed in `ComparableVersion`'s javadoc and its test class's
    /// `VERSIONS_QUALIFIER`/`VERSIONS_NUMBER` sequences (restated).
    #[test]
    fn javadoc_orderings() {
        let seqs: [&[&str]; 2] = [
            &[
                "1-alpha2snapshot",
                "1-alpha2",
                "1-alpha-123",
                "1-beta-2",
                "1-beta123",
                "1-m2",
                "1-m11",
                "1-rc",
                "1-cr2",
                "1-rc123",
                "1-SNAPSHOT",
                "1",
                "1-sp",
                "1-sp2",
                "1-sp123",
                "1-abc",
                "1-def",
                "1-pom-1",
                "1-1-snapshot",
                "1-1",
                "1-2",
                "1-123",
            ],
            &[
                "2.0", "2.0.a", "2-1", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c",
                "2.1-1", "2.1.0.1", "2.2", "2.123", "11.a2", "11.a11", "11.b2", "11.b11", "11.m2",
                "11.m11", "11", "11.a", "11b", "11c", "11m",
            ],
        ];
        for seq in seqs {
            for (i, a) in seq.iter().enumerate() {
                for b in &seq[i + 1..] {
                    assert_eq!(compare(a, b), Ok(Ordering::Less), "{a} < {b}");
                    assert_eq!(compare(b, a), Ok(Ordering::Greater), "{b} > {a}");
                }
            }
        }
    }

    #[test]
    fn javadoc_equalities() {
        for (a, b) in [
            ("1", "1.0.0"),
            ("1", "1-0"),
            ("1", "1.0-0"),
            ("1-ga", "1"),
            ("1-final", "1"),
            ("1-release", "1"),
            ("1a1", "1-alpha-1"),
            ("1b2", "1-beta-2"),
            ("1m3", "1-milestone-3"),
            ("1cr", "1rc"),
            ("1X", "1x"),
            ("1.0.0-SNAPSHOT", "1-snapshot"),
        ] {
            assert_eq!(compare(a, b), Ok(Ordering::Equal), "{a} = {b}");
        }
    }

    #[test]
    fn ranges() {
        let t = |v, r| in_range(v, r);
        assert_eq!(t("1.5", "[1.0,2.0)"), Ok(true));
        assert_eq!(t("2.0", "[1.0,2.0)"), Ok(false));
        assert_eq!(t("1.0", "(1.0,2.0)"), Ok(false));
        assert_eq!(t("0.9", "(,1.0],[1.2,)"), Ok(true));
        assert_eq!(t("1.1", "(,1.0],[1.2,)"), Ok(false));
        assert_eq!(t("1.5", "[1.5]"), Ok(true));
        assert_eq!(t("1.5", "1.5.0"), Ok(true));
        assert!(t("1.5", "[2.0,1.0]").is_err());
        assert!(t("1.5", "[1.0,2.0").is_err());
        assert!(t("1.5", "(1.5)").is_err());
    }
}
