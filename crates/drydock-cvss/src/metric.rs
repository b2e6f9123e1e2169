//! The metric names of each CVSS version, in the order the specifications write them.

use crate::Version;

/// The metric group a metric belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Group {
    Base,
    /// Temporal (v2, v3) or Threat (v4).
    Temporal,
    Environmental,
    /// v4 supplemental metrics: carried, never scored.
    Supplemental,
}

use Group::{Base, Environmental, Supplemental, Temporal};

/// CVSS v2.0 guide, section 2 (base, temporal, environmental), in the guide's vector order.
const V2: &[(&str, Group)] = &[
    ("AV", Base),
    ("AC", Base),
    ("Au", Base),
    ("C", Base),
    ("I", Base),
    ("A", Base),
    ("E", Temporal),
    ("RL", Temporal),
    ("RC", Temporal),
    ("CDP", Environmental),
    ("TD", Environmental),
    ("CR", Environmental),
    ("IR", Environmental),
    ("AR", Environmental),
];

/// CVSS v3.1 specification, section 6 (Vector String), table 15 order.
const V3: &[(&str, Group)] = &[
    ("AV", Base),
    ("AC", Base),
    ("PR", Base),
    ("UI", Base),
    ("S", Base),
    ("C", Base),
    ("I", Base),
    ("A", Base),
    ("E", Temporal),
    ("RL", Temporal),
    ("RC", Temporal),
    ("CR", Environmental),
    ("IR", Environmental),
    ("AR", Environmental),
    ("MAV", Environmental),
    ("MAC", Environmental),
    ("MPR", Environmental),
    ("MUI", Environmental),
    ("MS", Environmental),
    ("MC", Environmental),
    ("MI", Environmental),
    ("MA", Environmental),
];

/// CVSS v4.0 specification, section 7 (Vector String), table 23 order.
const V4: &[(&str, Group)] = &[
    ("AV", Base),
    ("AC", Base),
    ("AT", Base),
    ("PR", Base),
    ("UI", Base),
    ("VC", Base),
    ("VI", Base),
    ("VA", Base),
    ("SC", Base),
    ("SI", Base),
    ("SA", Base),
    ("E", Temporal),
    ("CR", Environmental),
    ("IR", Environmental),
    ("AR", Environmental),
    ("MAV", Environmental),
    ("MAC", Environmental),
    ("MAT", Environmental),
    ("MPR", Environmental),
    ("MUI", Environmental),
    ("MVC", Environmental),
    ("MVI", Environmental),
    ("MVA", Environmental),
    ("MSC", Environmental),
    ("MSI", Environmental),
    ("MSA", Environmental),
    ("S", Supplemental),
    ("AU", Supplemental),
    ("R", Supplemental),
    ("V", Supplemental),
    ("RE", Supplemental),
    ("U", Supplemental),
];

pub(crate) fn table(version: Version) -> &'static [(&'static str, Group)] {
    match version {
        Version::V2 => V2,
        Version::V3_0 | Version::V3_1 => V3,
        Version::V4_0 => V4,
    }
}

/// The position, canonical spelling and group of a metric name (any case) in `version`.
pub(crate) fn lookup(version: Version, name: &str) -> Option<(usize, &'static str, Group)> {
    table(version)
        .iter()
        .enumerate()
        .find(|(_, (n, _))| n.eq_ignore_ascii_case(name))
        .map(|(i, (n, g))| (i, *n, *g))
}

/// The value that means "not defined" in `version` (dropped while normalising).
pub(crate) fn not_defined(version: Version) -> &'static str {
    match version {
        Version::V2 => "ND",
        _ => "X",
    }
}

/// The canonical spelling of an upper-cased value: v4's `U` values are capitalised words.
pub(crate) fn canonical_value(version: Version, metric: &str, upper: &str) -> String {
    if version == Version::V4_0 && metric == "U" {
        match upper {
            "RED" => return "Red".into(),
            "AMBER" => return "Amber".into(),
            "GREEN" => return "Green".into(),
            "CLEAR" => return "Clear".into(),
            _ => {}
        }
    }
    upper.to_owned()
}
