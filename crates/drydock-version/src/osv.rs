//! OSV range evaluation (<https://ossf.github.io/osv-schema/#affectedranges-field>), written here
//! after the schema's pseudo-code: sort the events by version, walk them, and let each
//! `introduced` switch "affected" on and each `fixed`/`last_affected` switch it off.

use std::cmp::Ordering;

use crate::{Scheme, VersionError, compare, validate};

/// One event of an OSV `ranges[].events` list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RangeEvent {
    /// Affected from this version on; `"0"` means from the very first version.
    Introduced(String),
    /// Not affected from this version on.
    Fixed(String),
    /// Affected up to and including this version.
    LastAffected(String),
    /// Versions at or above this one are outside the range, whatever the other events say.
    Limit(String),
}

impl RangeEvent {
    /// The event's version text.
    pub fn version(&self) -> &str {
        match self {
            RangeEvent::Introduced(v)
            | RangeEvent::Fixed(v)
            | RangeEvent::LastAffected(v)
            | RangeEvent::Limit(v) => v,
        }
    }

    fn is_zero(&self) -> bool {
        matches!(self, RangeEvent::Introduced(v) if v == "0")
    }
}

impl std::fmt::Display for RangeEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (k, v) = match self {
            RangeEvent::Introduced(v) => ("introduced", v),
            RangeEvent::Fixed(v) => ("fixed", v),
            RangeEvent::LastAffected(v) => ("last_affected", v),
            RangeEvent::Limit(v) => ("limit", v),
        };
        write!(f, "{k}={v}")
    }
}

fn describe(events: &[RangeEvent]) -> String {
    events
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Is `version` affected according to one OSV range's `events` (ECOSYSTEM or SEMVER type)?
///
/// The events may come in any order and hold several `introduced`/`fixed` pairs; they are
/// sorted by version first (an `introduced` of `"0"` sorts before everything); the sort is
/// stable, so events at the same version keep their order, as in OSV's own evaluation:
/// `fixed=X, introduced=X` re-opens the range at X, `introduced=X, fixed=X` is empty. A version at or
/// above a `limit` is outside the range. A list without any `introduced` is an error, and so
/// is any event version the scheme cannot parse.
pub fn in_osv_range(
    scheme: Scheme,
    version: &str,
    events: &[RangeEvent],
) -> Result<bool, VersionError> {
    validate(scheme, version)?;
    if !events
        .iter()
        .any(|e| matches!(e, RangeEvent::Introduced(_)))
    {
        return Err(VersionError::InvalidEvents {
            text: describe(events),
            reason: "no `introduced` event".into(),
        });
    }
    for e in events {
        if !e.is_zero() {
            validate(scheme, e.version())?;
        }
    }
    let mut sorted: Vec<&RangeEvent> = events.iter().collect();
    // Versions were validated above, so comparisons cannot fail; sort_by needs a total order,
    // which each scheme's compare is. A failure would still be reported, not swallowed.
    let mut failure: Option<VersionError> = None;
    sorted.sort_by(|a, b| match (a.is_zero(), b.is_zero()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => match compare(scheme, a.version(), b.version()) {
            Ok(o) => o,
            Err(e) => {
                failure.get_or_insert(e);
                Ordering::Equal
            }
        },
    });
    if let Some(e) = failure {
        return Err(e);
    }

    let mut affected = false;
    for e in sorted {
        match e {
            RangeEvent::Introduced(v) => {
                if e.is_zero() || compare(scheme, version, v)? != Ordering::Less {
                    affected = true;
                }
            }
            RangeEvent::Fixed(v) => {
                if compare(scheme, version, v)? != Ordering::Less {
                    affected = false;
                }
            }
            RangeEvent::LastAffected(v) => {
                if compare(scheme, version, v)? == Ordering::Greater {
                    affected = false;
                }
            }
            RangeEvent::Limit(v) => {
                if compare(scheme, version, v)? != Ordering::Less {
                    return Ok(false);
                }
            }
        }
    }
    Ok(affected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use RangeEvent::*;

    fn s(v: &str) -> String {
        v.to_string()
    }

    #[test]
    fn introduced_zero_and_fixed() {
        let ev = [Introduced(s("0")), Fixed(s("1.2.0"))];
        assert_eq!(in_osv_range(Scheme::Semver, "1.1.9", &ev), Ok(true));
        assert_eq!(in_osv_range(Scheme::Semver, "1.2.0", &ev), Ok(false));
        assert_eq!(in_osv_range(Scheme::Semver, "0.0.0-alpha", &ev), Ok(true));
    }

    #[test]
    fn several_pairs_unsorted() {
        let ev = [
            Fixed(s("2.4.1")),
            Introduced(s("2.0.0")),
            Fixed(s("1.9.3")),
            Introduced(s("1.0.0")),
        ];
        let t = |v| in_osv_range(Scheme::Semver, v, &ev);
        assert_eq!(t("0.9.0"), Ok(false));
        assert_eq!(t("1.0.0"), Ok(true));
        assert_eq!(t("1.9.2"), Ok(true));
        assert_eq!(t("1.9.3"), Ok(false));
        assert_eq!(t("1.9.9"), Ok(false));
        assert_eq!(t("2.0.0"), Ok(true));
        assert_eq!(t("2.4.1"), Ok(false));
        assert_eq!(t("3.0.0"), Ok(false));
    }

    #[test]
    fn last_affected_is_inclusive() {
        let ev = [Introduced(s("1.0")), LastAffected(s("1.4"))];
        assert_eq!(in_osv_range(Scheme::Pep440, "1.4", &ev), Ok(true));
        assert_eq!(in_osv_range(Scheme::Pep440, "1.4.post1", &ev), Ok(false));
        assert_eq!(in_osv_range(Scheme::Pep440, "0.9", &ev), Ok(false));
    }

    #[test]
    fn introduced_without_fix_is_open() {
        let ev = [Introduced(s("1:2.0-1"))];
        assert_eq!(in_osv_range(Scheme::Dpkg, "1:9.0-1", &ev), Ok(true));
        assert_eq!(in_osv_range(Scheme::Dpkg, "9.0-1", &ev), Ok(false));
    }

    #[test]
    fn limit_caps() {
        let ev = [Introduced(s("0")), Limit(s("2.0.0"))];
        assert_eq!(in_osv_range(Scheme::Semver, "1.0.0", &ev), Ok(true));
        assert_eq!(in_osv_range(Scheme::Semver, "2.0.0", &ev), Ok(false));
    }

    #[test]
    fn same_version_events_keep_their_order() {
        let ev = [Introduced(s("1.0.0")), Fixed(s("1.0.0"))];
        assert_eq!(in_osv_range(Scheme::Semver, "1.0.0", &ev), Ok(false));
        // PYSEC-2022-236 has this shape: fixed in 3.1.1, then re-introduced at 3.1.1.
        let ev = [
            Introduced(s("0")),
            Fixed(s("3.1.1")),
            Introduced(s("3.2.0")),
            Fixed(s("3.2.2")),
            Introduced(s("3.1.1")),
            Fixed(s("3.1.3")),
        ];
        assert_eq!(in_osv_range(Scheme::Pep440, "3.1.1", &ev), Ok(true));
        assert_eq!(in_osv_range(Scheme::Pep440, "3.1.3", &ev), Ok(false));
    }

    #[test]
    fn errors_quote_the_text() {
        let ev = [Introduced(s("0")), Fixed(s("not a version"))];
        let e = in_osv_range(Scheme::Semver, "1.0.0", &ev).expect_err("bad fixed version");
        assert!(e.to_string().contains("`not a version`"), "{e}");
        let e =
            in_osv_range(Scheme::Semver, "1.0.0", &[Fixed(s("1.0.0"))]).expect_err("no introduced");
        assert!(e.to_string().contains("introduced"), "{e}");
        let e = in_osv_range(Scheme::Semver, "x", &[Introduced(s("0"))]).expect_err("bad version");
        assert!(e.to_string().contains("`x`"), "{e}");
    }
}
