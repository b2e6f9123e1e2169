//! Alpine package versions (apk-tools), e.g. `1.2.3a_rc1_p2-r4`.
//!
//! Written here: no maintained crate implements apk-tools' ordering. The rules are apk-tools'
//! (`version.c`, format `number{.number}...{letter}{_suffix{number}}...{-r#}`), checked
//! against the orderings listed in apk-tools' own test data and Alpine secdb versions:
//!
//! - the first number compares numerically; a later number that starts with `0` compares as a
//!   fraction: its leading zeros count negatively (`1.01` < `1.1`, `1.001` < `1.01`);
//! - one lower-case letter may follow a number (`1.0a` > `1.0`);
//! - suffixes `_alpha` < `_beta` < `_pre` < `_rc` sort before the bare version, `_cvs` < `_svn` <
//!   `_git` < `_hg` < `_p` after it, each with an optional number;
//! - `-rN` is the package release.
//!
//! One quirk is kept because apk-tools 2 has it: after a number that starts with `0` comes an
//! implicit empty number, so `1.0_rc1` sorts *after* `1.0` (while `1.1_rc1` sorts before `1.1`).
//!
//! Validation is apk-tools' own (`apk_version_validate`), which lets through a few spellings
//! real feeds use (`0.12.5.-r0`, `6.6.2p1`), except that drydock also refuses the empty string
//! and text not starting with a digit. apk-tools falls back to string order for invalid
//! versions; drydock refuses them.

use std::cmp::Ordering;

use crate::{Scheme, VersionError};

/// Token kinds, in apk-tools' order: when two versions agree up to where one stops, the kinds
/// of their next tokens decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Invalid,
    DigitOrZero,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    RevisionNo,
    End,
}

const PRE: [&str; 4] = ["alpha", "beta", "pre", "rc"];
const POST: [&str; 5] = ["cvs", "svn", "git", "hg", "p"];

struct Tokens<'a> {
    s: &'a [u8],
    kind: Kind,
}

impl Tokens<'_> {
    fn new(s: &str) -> Tokens<'_> {
        let s = s.as_bytes();
        Tokens {
            s,
            kind: if s.is_empty() { Kind::End } else { Kind::Digit },
        }
    }

    fn digits(&mut self) -> i128 {
        let n = self.s.iter().take_while(|b| b.is_ascii_digit()).count();
        let mut v: i128 = 0;
        for &b in &self.s[..n] {
            v = v.saturating_mul(10).saturating_add(i128::from(b - b'0'));
        }
        self.s = &self.s[n..];
        v
    }

    /// Reads a token of the current kind and works out the next kind.
    fn next_value(&mut self) -> i128 {
        if self.s.is_empty() {
            self.kind = Kind::End;
            return 0;
        }
        let mut forced = None;
        let v = match self.kind {
            Kind::DigitOrZero if self.s[0] == b'0' => {
                let n = self.s.iter().take_while(|&&b| b == b'0').count();
                self.s = &self.s[n..];
                forced = Some(Kind::Digit);
                -(n as i128)
            }
            Kind::DigitOrZero | Kind::Digit | Kind::SuffixNo | Kind::RevisionNo => self.digits(),
            Kind::Letter => {
                let v = i128::from(self.s[0]);
                self.s = &self.s[1..];
                v
            }
            Kind::Suffix => {
                let pre = PRE.iter().position(|p| self.s.starts_with(p.as_bytes()));
                let (v, len) = match pre {
                    Some(i) => (i as i128 - PRE.len() as i128, PRE[i].len()),
                    None => match POST.iter().position(|p| self.s.starts_with(p.as_bytes())) {
                        Some(i) => (i as i128, POST[i].len()),
                        None => {
                            self.kind = Kind::Invalid;
                            return -1;
                        }
                    },
                };
                self.s = &self.s[len..];
                v
            }
            Kind::Invalid | Kind::End => {
                self.kind = Kind::Invalid;
                return -1;
            }
        };
        if self.s.is_empty() {
            self.kind = Kind::End;
        } else if let Some(k) = forced {
            self.kind = k;
        } else {
            self.advance();
        }
        v
    }

    /// apk-tools' `next_token`: the kind of the token starting at `self.s`, consuming its
    /// separator.
    fn advance(&mut self) {
        let c = self.s[0];
        let k = self.kind;
        self.kind = if matches!(k, Kind::Digit | Kind::DigitOrZero) && c.is_ascii_lowercase() {
            Kind::Letter
        } else if k == Kind::Letter && c.is_ascii_digit() {
            Kind::Digit
        } else if k == Kind::Suffix && c.is_ascii_digit() {
            Kind::SuffixNo
        } else {
            let (kind, skip) = match c {
                b'.' => (Kind::DigitOrZero, 1),
                b'_' => (Kind::Suffix, 1),
                b'-' if self.s.get(1) == Some(&b'r') => (Kind::RevisionNo, 2),
                _ => (Kind::Invalid, 1),
            };
            self.s = &self.s[skip.min(self.s.len())..];
            kind
        };
        // Kinds only move forward, except a number after `.`, a suffix after a suffix number,
        // and a number after a letter.
        let n = self.kind;
        if n < k
            && !matches!(
                (n, k),
                (Kind::DigitOrZero, Kind::Digit)
                    | (Kind::Suffix, Kind::SuffixNo)
                    | (Kind::Digit, Kind::Letter)
            )
        {
            self.kind = Kind::Invalid;
        }
    }
}

/// Checks a version as apk-tools' `apk_version_validate` does, and also refuses the empty
/// string and text that does not start with a digit (which apk-tools lets through).
pub fn parse(text: &str) -> Result<(), VersionError> {
    let err = |reason: &str| VersionError::invalid(Scheme::Apk, text, reason);
    if !text.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(err("a version must start with a number"));
    }
    let mut t = Tokens::new(text);
    while t.kind != Kind::End && t.kind != Kind::Invalid {
        t.next_value();
    }
    if t.kind == Kind::Invalid {
        return Err(err(
            "not of the form number{.number}...{letter}{_suffix{number}}...{-r#}",
        ));
    }
    Ok(())
}

/// apk-tools' comparison of two valid versions.
fn cmp_valid(a: &str, b: &str) -> Ordering {
    let (mut ta, mut tb) = (Tokens::new(a), Tokens::new(b));
    let (mut av, mut bv) = (0, 0);
    while ta.kind == tb.kind && ta.kind != Kind::End && ta.kind != Kind::Invalid && av == bv {
        av = ta.next_value();
        bv = tb.next_value();
    }
    match av.cmp(&bv) {
        Ordering::Equal => {}
        o => return o,
    }
    if ta.kind == tb.kind {
        return Ordering::Equal;
    }
    // Equal so far and one goes on: the longer one is newer, unless what follows is a
    // pre-release suffix.
    let pre = |t: &Tokens<'_>| {
        t.kind == Kind::Suffix && PRE.iter().any(|p| t.s.starts_with(p.as_bytes()))
    };
    if pre(&ta) {
        return Ordering::Less;
    }
    if pre(&tb) {
        return Ordering::Greater;
    }
    tb.kind.cmp(&ta.kind)
}

pub(crate) fn validate(v: &str) -> Result<(), VersionError> {
    parse(v)
}

pub(crate) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    parse(a)?;
    parse(b)?;
    Ok(cmp_valid(a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sample of the orderings in apk-tools' `test/version.data` (facts about apk's
    /// behaviour, restated here), plus the suffix rules of the module docs.
    const CASES: &str = "
2.34 > 0.1.0_alpha
0.1.0_alpha2 > 0.1.0_alpha
0.1.0_alpha < 2.2.39-r1
1.0.4-r3 < 1.0.4-r4
1.1 > 1.1_alpha1
1.2.1 > 1.2
1.2 < 1.3_alpha
0.12.3 > 0.12
2.3.0b-r1 < 2.3.0b-r2
3.1_p16 < 3.1_p17
3.1_p17 > 1.06-r6
1.06-r6 < 006
1.2.2-r1 > 1.2.2
2.59 < 20050718-r1
3.9.8-r5 > 2.01.01_alpha10
1.0 > 0.99.3.20040818
1.39 > 1.00_beta2
7.15.1-r1 > 1.02
4.2.52_p2-r1 < 4.2.52_p4-r2
2.8.9-r1 > 2.8.9
20060720 > 3.0.20060720
2.5.1-r8 < 2.5.1a-r1
3.0.0-r2 < 021109-r3
3.9_pre20060124 > 0.01
1.1.7 < 6b-r7
0.10.0 < 0.10.1_rc1
1.1a < 1.3a
0.15.1b-r2 > 0.15.1b
22.7-r1 < 22.7.3-r1
2.1_pre20 < 2.1_pre26
2.10.1 > 02.08.01b
8.1.2.20050715-r1 < 20030215
3.81 > 1.6d
1.2.07.8 < 1.2.12.04
1.07-r1 < 1.07.5
1.07 < 1.19
0.20070118 < 0.20070207_rc1
4.5_p1-r1 > 4.5_p1
1.7 < 1.7b
1.8.5 < 1.8.5_p2
0.98 < 1.00
2.9.11_pre20051101-r3 > 2.9.11_pre20051101
1.6.8_p12-r1 > 1.6.8_p9-r2
0.9.28.1 < 087-r1
2.12r-r4 < 2.12r-r5
7.0.17 < 7.0.174
1.3_pre1-r1 < 1.3.2
1.0_p10-r0 > 1.0_p9-r0
0.1.0_alpha_pre2 < 0.1.0_alpha
1.0.0_pre20191002222144-r0 < 1.0.0_pre20210530193627-r0
1.1_rc1 < 1.1
1.0_rc1 > 1.0
1.0.0_rc1 > 1.0.0
1.0_alpha < 1.0_beta
1.0_beta < 1.0_pre
1.0_pre < 1.0_rc
1.0 < 1.0_cvs
1.0_cvs < 1.0_svn
1.0_svn < 1.0_git
1.0_git < 1.0_hg
1.0_hg < 1.0_p
1.0.01 < 1.0.1
1.2.3-r0 = 1.2.3-r0
";

    #[test]
    fn apk_tools_orderings() {
        for line in CASES.lines().filter(|l| !l.trim().is_empty()) {
            let f: Vec<&str> = line.split_whitespace().collect();
            let want = match f[1] {
                "<" => Ordering::Less,
                ">" => Ordering::Greater,
                _ => Ordering::Equal,
            };
            assert_eq!(compare(f[0], f[2]), Ok(want), "{line}");
            assert_eq!(compare(f[2], f[0]), Ok(want.reverse()), "{line} reversed");
        }
    }

    #[test]
    fn refuses_what_apk_tools_refuses() {
        for bad in [
            "", "1.0bc", "23_foo", "a1", "1.0-1", "1.0A", "1.0~1", "1 0", "1.0a.1",
        ] {
            let e = compare(bad, "1.0").expect_err(bad);
            assert!(e.to_string().contains(&format!("`{bad}`")), "{e}");
        }
    }
}
