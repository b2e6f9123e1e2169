//! Plain comparison lists (`>= 1.0, < 2.0 || = 3.1`) for the schemes that have no range syntax of
//! their own: dpkg, rpm, apk and Go.

use std::cmp::Ordering;

use crate::{Scheme, VersionError, compare, validate};

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl Op {
    pub(crate) fn holds(self, o: Ordering) -> bool {
        match self {
            Op::Lt => o == Ordering::Less,
            Op::Le => o != Ordering::Greater,
            Op::Gt => o == Ordering::Greater,
            Op::Ge => o != Ordering::Less,
            Op::Eq => o == Ordering::Equal,
            Op::Ne => o != Ordering::Equal,
        }
    }

    /// Splits a leading operator off `s`; `None` when there is none. Longest spelling first.
    pub(crate) fn split(s: &str) -> Option<(Op, &str)> {
        const OPS: [(&str, Op); 10] = [
            ("<<", Op::Lt),
            (">>", Op::Gt),
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("==", Op::Eq),
            ("!=", Op::Ne),
            ("<", Op::Lt),
            (">", Op::Gt),
            ("=", Op::Eq),
            ("!", Op::Ne),
        ];
        OPS.iter()
            .find_map(|(p, op)| s.strip_prefix(p).map(|rest| (*op, rest)))
    }
}

/// `version` against `a || b` alternatives of `,`/space-joined comparisons.
pub(crate) fn in_comparisons(
    scheme: Scheme,
    version: &str,
    range: &str,
) -> Result<bool, VersionError> {
    validate(scheme, version)?;
    let mut any = false;
    for alt in range.split("||") {
        let terms = terms(scheme, range, alt)?;
        let mut all = true;
        for (op, v) in terms {
            if !op.holds(compare(scheme, version, v)?) {
                all = false;
            }
        }
        any |= all;
    }
    Ok(any)
}

/// The comparisons of one alternative, e.g. `>= 1.0, <2`. An operator may be separated from
/// its version by spaces; a bare version means `=`.
fn terms<'a>(
    scheme: Scheme,
    range: &str,
    alt: &'a str,
) -> Result<Vec<(Op, &'a str)>, VersionError> {
    let mut out = Vec::new();
    let mut pending: Option<Op> = None;
    for tok in alt.split([',', ' ', '\t']).filter(|t| !t.is_empty()) {
        match Op::split(tok) {
            Some((op, rest)) => {
                if pending.is_some() {
                    return Err(VersionError::range(scheme, range, "two operators in a row"));
                }
                if rest.is_empty() {
                    pending = Some(op);
                } else {
                    out.push((op, rest));
                }
            }
            None => out.push((pending.take().unwrap_or(Op::Eq), tok)),
        }
    }
    if pending.is_some() {
        return Err(VersionError::range(
            scheme,
            range,
            "an operator without a version",
        ));
    }
    if out.is_empty() {
        return Err(VersionError::range(scheme, range, "no comparison"));
    }
    for (_, v) in &out {
        validate(scheme, v)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparisons() {
        let t = |v, r| in_comparisons(Scheme::Dpkg, v, r);
        assert_eq!(t("1.5-1", ">= 1.0, << 2.0"), Ok(true));
        assert_eq!(t("2.0-1", ">= 1.0, << 2.0"), Ok(false));
        assert_eq!(t("2.0-1", ">=1.0 <2.0 || 2.0-1"), Ok(true));
        assert_eq!(t("2.0-1", "!= 2.0-1"), Ok(false));
        assert!(t("2.0", ">=").is_err());
        assert!(t("2.0", "").is_err());
        assert!(t("2.0", ">= <= 1").is_err());
        assert!(t("2.0", ">= !!").is_err());
    }
}
