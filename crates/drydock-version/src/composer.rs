//! Composer versions and constraints (Packagist).
//!
//! Written here: no maintained crate implements Composer's rules. From Composer's documentation
//! ("Versions and constraints") and its `VersionParser`: a version is normalised to four numbers
//! and an optional stability (`v1.2` → `1.2.0.0`, `1.0-beta.2` → `1.0.0.0-beta2`, `1.0RC1` →
//! `1.0.0.0-RC1`, `1.0-dev`), then ordered as PHP's `version_compare` orders the normalised text:
//! `dev` < `alpha` < `beta` < `RC` < release < `patch`. Branch names (`dev-main`) have no order
//! and are refused.
//!
//! Constraints: `||` (or `|`) between alternatives, `,` or space between terms that must all
//! hold; terms `^1.2`, `~1.2`, `1.2.*`, `1.0 - 2.0`, `>=`, `>`, `<=`, `<`, `=`, `==`, `!=`,
//! `<>`, or a bare version. As in Composer, `<` and `>=` bounds without a stability, and the
//! bounds implied by `^`, `~`, `*` and `-`, take in the bound's `-dev` prereleases.

use std::cmp::Ordering;

use crate::{Scheme, VersionError};

const STABILITY: [(&str, &str); 9] = [
    ("stable", ""),
    ("beta", "beta"),
    ("b", "beta"),
    ("rc", "RC"),
    ("alpha", "alpha"),
    ("a", "alpha"),
    ("patch", "patch"),
    ("pl", "patch"),
    ("p", "patch"),
];

/// Normalises like Composer's `VersionParser::normalize` for numeric versions.
pub fn normalize(text: &str) -> Result<String, VersionError> {
    let err = |why: &str| VersionError::invalid(Scheme::Composer, text, why);
    let s = text.trim();
    if s.to_ascii_lowercase().starts_with("dev-") {
        return Err(err("a branch (`dev-…`) has no order"));
    }
    let s = s.strip_prefix(['v', 'V']).unwrap_or(s);
    let s = s.split_once('+').map_or(s, |(v, _)| v);
    let b = s.as_bytes();
    let mut i = 0;
    let mut nums: Vec<&str> = Vec::new();
    loop {
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return Err(err("expected a number"));
        }
        nums.push(&s[start..i]);
        if nums.len() < 4 && b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit)
        {
            i += 1;
        } else {
            break;
        }
    }
    let mut out: Vec<String> = nums.iter().map(|n| n.to_string()).collect();
    while out.len() < 4 {
        out.push("0".into());
    }
    let mut v = out.join(".");
    // `[._-]?(stability)([.-]?\d+)*  ([.-]?dev)?`
    let mut rest = &s[i..];
    rest = rest.strip_prefix(['.', '_', '-']).unwrap_or(rest);
    let lower = rest.to_ascii_lowercase();
    let mut used = 0;
    if let Some((word, norm)) = STABILITY.iter().find(|(w, _)| {
        lower.starts_with(w)
            && !lower[w.len()..].starts_with(|c: char| {
                c.is_ascii_alphabetic() && !lower[w.len()..].starts_with("dev")
            })
    }) {
        used = word.len();
        let after = &rest[used..];
        let digits_len = after
            .char_indices()
            .take_while(|(_, c)| c.is_ascii_digit() || *c == '.' || *c == '-')
            .map(|(k, c)| k + c.len_utf8())
            .last()
            .unwrap_or(0);
        // Stop before a trailing `.dev`/`-dev`, and before a separator not followed by a digit.
        let mut num = &after[..digits_len];
        while num.ends_with(['.', '-']) {
            num = &num[..num.len() - 1];
        }
        used += num.len();
        let num = num.trim_start_matches(['.', '-']);
        if !norm.is_empty() {
            v.push('-');
            v.push_str(norm);
            v.push_str(num);
        } else if !num.is_empty() {
            return Err(err("a number after `stable`"));
        }
    }
    let tail = &lower[used..];
    let tail = tail.strip_prefix(['.', '-']).unwrap_or(tail);
    if tail == "dev" {
        v.push_str("-dev");
    } else if !tail.is_empty() {
        return Err(err("unrecognised text after the version numbers"));
    }
    Ok(v)
}

/// The order of PHP's `version_compare` special forms; unknown words sort first.
fn form(s: &str) -> i32 {
    const FORMS: [(&str, i32); 10] = [
        ("dev", 0),
        ("alpha", 1),
        ("a", 1),
        ("beta", 2),
        ("b", 2),
        ("RC", 3),
        ("rc", 3),
        ("#", 4),
        ("pl", 5),
        ("p", 5),
    ];
    FORMS
        .iter()
        .find(|(f, _)| s.starts_with(f))
        .map_or(-6, |(_, o)| *o)
}

/// PHP's canonical form: `-`, `_`, `+` and other non-alphanumerics become `.`, and a `.` is
/// put between a digit and a non-digit.
fn php_parts(v: &str) -> Vec<String> {
    let mut out = String::new();
    let mut prev: Option<char> = None;
    for c in v.chars() {
        let sep = !c.is_ascii_alphanumeric();
        if sep {
            if !out.ends_with('.') {
                out.push('.');
            }
        } else {
            if let Some(p) = prev
                && p != '.'
                && !out.ends_with('.')
                && (p.is_ascii_digit() != c.is_ascii_digit())
            {
                out.push('.');
            }
            out.push(c);
        }
        prev = Some(if sep { '.' } else { c });
    }
    out.split('.')
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

fn num_cmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// PHP's `version_compare` over normalised versions.
fn php_compare(a: &str, b: &str) -> Ordering {
    let (pa, pb) = (php_parts(a), php_parts(b));
    let digit = |s: &str| s.starts_with(|c: char| c.is_ascii_digit());
    for (x, y) in pa.iter().zip(&pb) {
        let o = match (digit(x), digit(y)) {
            (true, true) => num_cmp(x, y),
            (false, false) => form(x).cmp(&form(y)),
            (true, false) => 4.cmp(&form(y)),
            (false, true) => form(x).cmp(&4),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    let n = pa.len().min(pb.len());
    match (pa.get(n), pb.get(n)) {
        (Some(x), None) => {
            if digit(x) {
                Ordering::Greater
            } else {
                form(x).cmp(&4)
            }
        }
        (None, Some(y)) => {
            if digit(y) {
                Ordering::Less
            } else {
                4.cmp(&form(y))
            }
        }
        _ => Ordering::Equal,
    }
}

pub(crate) fn validate(v: &str) -> Result<(), VersionError> {
    normalize(v).map(|_| ())
}

pub(crate) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(php_compare(&normalize(a)?, &normalize(b)?))
}

/// `[lo, hi)`-style bound on normalised versions.
type Test = Box<dyn Fn(&str) -> bool>;

fn lower(v: String, incl: bool) -> Test {
    Box::new(move |x| {
        let o = php_compare(x, &v);
        o == Ordering::Greater || (incl && o == Ordering::Equal)
    })
}

fn upper(v: String, incl: bool) -> Test {
    Box::new(move |x| {
        let o = php_compare(x, &v);
        o == Ordering::Less || (incl && o == Ordering::Equal)
    })
}

/// The numbers given (up to 4) of a partial version like `1.2` or `1.2.*`.
fn given(range: &str, t: &str) -> Result<Vec<u64>, VersionError> {
    let bad = || VersionError::range(Scheme::Composer, range, format!("bad version `{t}`"));
    let t = t.strip_prefix(['v', 'V']).unwrap_or(t);
    let core = t.split(['-', '+', '@']).next().unwrap_or(t);
    let mut out = Vec::new();
    for p in core.split('.') {
        if matches!(p, "*" | "x" | "X") {
            break;
        }
        out.push(p.parse::<u64>().map_err(|_| bad())?);
    }
    if out.is_empty() || out.len() > 4 {
        return Err(bad());
    }
    Ok(out)
}

fn dev_of(nums: &[u64]) -> String {
    let mut n: Vec<String> = nums.iter().map(u64::to_string).collect();
    while n.len() < 4 {
        n.push("0".into());
    }
    format!("{}-dev", n.join("."))
}

/// `nums` with position `i` incremented and everything after dropped.
fn bump(nums: &[u64], i: usize) -> Vec<u64> {
    let mut out = nums[..=i].to_vec();
    out[i] = out[i].saturating_add(1);
    out
}

fn term(range: &str, t: &str) -> Result<Vec<Test>, VersionError> {
    let t = t.split('@').next().unwrap_or(t);
    if let Some(v) = t.strip_prefix('^') {
        let n = given(range, v)?;
        let lo = normalize(v)?;
        let lo = if lo.contains('-') {
            lo
        } else {
            format!("{lo}-dev")
        };
        let i = n.iter().position(|&x| x != 0).unwrap_or(n.len() - 1);
        return Ok(vec![lower(lo, true), upper(dev_of(&bump(&n, i)), false)]);
    }
    if let Some(v) = t.strip_prefix('~') {
        let n = given(range, v)?;
        let lo = normalize(v)?;
        let lo = if lo.contains('-') {
            lo
        } else {
            format!("{lo}-dev")
        };
        let i = if n.len() > 1 { n.len() - 2 } else { 0 };
        return Ok(vec![lower(lo, true), upper(dev_of(&bump(&n, i)), false)]);
    }
    if t.ends_with(".*") || t.ends_with(".x") || t.ends_with(".X") || t == "*" {
        if t == "*" {
            return Ok(vec![Box::new(|_| true)]);
        }
        let n = given(range, t)?;
        return Ok(vec![
            lower(dev_of(&n), true),
            upper(dev_of(&bump(&n, n.len() - 1)), false),
        ]);
    }
    let ops: [(&str, &str); 9] = [
        (">=", ">="),
        ("<=", "<="),
        ("<>", "!="),
        ("!=", "!="),
        ("==", "="),
        (">", ">"),
        ("<", "<"),
        ("=", "="),
        ("", "="),
    ];
    let (op, v) = ops
        .iter()
        .find_map(|(p, op)| t.strip_prefix(p).map(|v| (*op, v.trim())))
        .unwrap_or(("=", t));
    let mut nv = normalize(v)?;
    let has_stability = nv.contains('-');
    if (op == "<" || op == ">=") && !has_stability {
        nv.push_str("-dev");
    }
    let test: Test = match op {
        ">=" => lower(nv, true),
        ">" => lower(nv, false),
        "<=" => upper(nv, true),
        "<" => upper(nv, false),
        "!=" => Box::new(move |x| php_compare(x, &nv) != Ordering::Equal),
        _ => Box::new(move |x| php_compare(x, &nv) == Ordering::Equal),
    };
    Ok(vec![test])
}

/// A Composer constraint such as `^1.2 || >=2.0,<2.3`.
pub(crate) fn in_constraint(version: &str, range: &str) -> Result<bool, VersionError> {
    let v = normalize(version)?;
    let bad = |why: &str| VersionError::range(Scheme::Composer, range, why);
    let mut any = false;
    for alt in range.split("||").flat_map(|a| a.split('|')) {
        let alt = alt.trim();
        if alt.is_empty() {
            return Err(bad("empty alternative"));
        }
        let mut tests: Vec<Test> = Vec::new();
        // Hyphen ranges: `a - b`.
        if let Some((a, b)) = alt.split_once(" - ") {
            let lo = normalize(a.trim())?;
            let lo = if lo.contains('-') {
                lo
            } else {
                format!("{lo}-dev")
            };
            tests.push(lower(lo, true));
            let n = given(range, b.trim())?;
            if n.len() < 3 {
                tests.push(upper(dev_of(&bump(&n, n.len() - 1)), false));
            } else {
                tests.push(upper(normalize(b.trim())?, true));
            }
        } else {
            // Join an operator separated from its version by spaces (`>= 1.0`).
            let mut toks: Vec<String> = Vec::new();
            for tok in alt.split([',', ' ']).filter(|t| !t.is_empty()) {
                match toks.last_mut() {
                    Some(last)
                        if matches!(
                            last.as_str(),
                            ">=" | "<=" | ">" | "<" | "=" | "==" | "!=" | "<>" | "^" | "~"
                        ) =>
                    {
                        last.push_str(tok)
                    }
                    _ => toks.push(tok.to_string()),
                }
            }
            for tok in &toks {
                tests.extend(term(range, tok)?);
            }
        }
        if tests.is_empty() {
            return Err(bad("empty constraint"));
        }
        any |= tests.iter().all(|t| t(&v));
    }
    Ok(any)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn normalisation() {
        for (a, b) in [
            ("1.2", "1.2.0.0"),
            ("v1.2.3", "1.2.3.0"),
            ("1.0-beta.2", "1.0.0.0-beta2"),
            ("1.0.0RC1", "1.0.0.0-RC1"),
            ("1.0-b2", "1.0.0.0-beta2"),
            ("1.0.0-alpha3", "1.0.0.0-alpha3"),
            ("1.0-dev", "1.0.0.0-dev"),
            ("1.0.0-rc1-dev", "1.0.0.0-RC1-dev"),
            ("1.0.0-pl3", "1.0.0.0-patch3"),
            ("1.0.0-stable", "1.0.0.0"),
            ("1.2.3.4", "1.2.3.4"),
        ] {
            assert_eq!(normalize(a).as_deref(), Ok(b), "{a}");
        }
        for bad in ["dev-main", "foo", "1.0-bogus", ""] {
            assert!(normalize(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn stability_order() {
        let seq = [
            "1.0.0-dev",
            "1.0.0-alpha1",
            "1.0.0-alpha2",
            "1.0.0-beta1",
            "1.0.0-RC1",
            "1.0.0",
            "1.0.0-patch1",
            "1.0.1",
        ];
        for w in seq.windows(2) {
            assert_eq!(compare(w[0], w[1]), Ok(Less), "{} < {}", w[0], w[1]);
        }
        assert_eq!(compare("1.0", "1.0.0.0"), Ok(Equal));
    }

    #[test]
    fn documented_constraints() {
        let t = |v, r| in_constraint(v, r);
        assert_eq!(t("1.9.9", "^1.2.3"), Ok(true));
        assert_eq!(t("2.0.0", "^1.2.3"), Ok(false));
        assert_eq!(t("0.3.9", "^0.3"), Ok(true));
        assert_eq!(t("0.4.0", "^0.3"), Ok(false));
        assert_eq!(t("1.9", "~1.2"), Ok(true));
        assert_eq!(t("1.3.0", "~1.2.3"), Ok(false));
        assert_eq!(t("1.2.9", "1.2.*"), Ok(true));
        assert_eq!(t("1.3.0", "1.2.*"), Ok(false));
        assert_eq!(t("2.0.5", "1.0 - 2.0"), Ok(true));
        assert_eq!(t("2.1.0", "1.0 - 2.0"), Ok(false));
        assert_eq!(t("2.2.0", "^1.2 || >=2.0,<2.3"), Ok(true));
        assert_eq!(t("2.3.0", "^1.2 || >=2.0,<2.3"), Ok(false));
        // `<2.3` means `<2.3.0.0-dev`: prereleases of 2.3 are outside.
        assert_eq!(t("2.3.0-beta1", "<2.3"), Ok(false));
        assert_eq!(t("2.2.9", "<2.3"), Ok(true));
        assert_eq!(t("1.5.0", ">=1.0 <2.0, !=1.5.0"), Ok(false));
        assert!(t("1.0", "^x").is_err());
    }
}
