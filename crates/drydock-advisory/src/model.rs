//! The advisory model: what the DB stores and what lookups return.

use serde::{Deserialize, Serialize};

use crate::FeedKey;

/// One vulnerability record as a feed describes it: an OSV record, a CVE from a distribution
/// tracker, or an NVD entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    /// The feed's id for the record (`RUSTSEC-2016-0001`, `GO-2023-1234`, `CVE-2019-14697`).
    pub id: String,
    /// The source the record was read from (`osv:crates.io`, `alpine-secdb`, `debian`, `nvd`).
    pub source: String,
    /// Other ids of the same vulnerability, as the record lists them.
    pub aliases: Vec<String>,
    pub summary: Option<String>,
    pub details: Option<String>,
    pub severities: Vec<Severity>,
    pub references: Vec<Reference>,
    /// RFC 3339, as the feed gives it.
    pub published: Option<String>,
    pub modified: Option<String>,
    /// CWE ids (`CWE-190`).
    pub cwes: Vec<String>,
    /// Set for advisories that are not vulnerabilities (RustSec `unmaintained`, `unsound`,
    /// `notice`): report them as warnings.
    pub informational: Option<Informational>,
}

impl Advisory {
    /// A record that is known only by its id (distribution trackers list CVEs without details).
    pub(crate) fn bare(id: String, source: &str, aliases: Vec<String>) -> Advisory {
        Advisory {
            id,
            source: source.to_string(),
            aliases,
            summary: None,
            details: None,
            severities: Vec::new(),
            references: Vec::new(),
            published: None,
            modified: None,
            cwes: Vec::new(),
            informational: None,
        }
    }
}

/// What kind of non-vulnerability an informational advisory is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Informational {
    Unmaintained,
    Unsound,
    Notice,
    /// A kind this version of drydock does not know, verbatim.
    #[serde(untagged)]
    Other(String),
}

impl Informational {
    pub(crate) fn parse(s: &str) -> Informational {
        match s {
            "unmaintained" => Informational::Unmaintained,
            "unsound" => Informational::Unsound,
            "notice" => Informational::Notice,
            other => Informational::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Informational::Unmaintained => "unmaintained",
            Informational::Unsound => "unsound",
            Informational::Notice => "notice",
            Informational::Other(s) => s,
        }
    }
}

/// A severity statement: a CVSS vector, or a vendor's level (`HIGH`, `moderate`, `low`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Severity {
    pub kind: SeverityKind,
    /// The CVSS vector, or the vendor's level verbatim.
    pub value: String,
    /// The base score when the feed states it (NVD does; OSV does not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// The base severity the feed states with a CVSS vector (NVD's `baseSeverity`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// Who says so: `nvd@nist.gov`, a CNA, `osv`, `ghsa`, `debian`, …
    pub source: String,
    /// NVD's `Primary` (true) or `Secondary` (false) source type; `None` elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeverityKind {
    CvssV2,
    CvssV3,
    CvssV4,
    Vendor,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// OSV's reference type (`ADVISORY`, `FIX`, `WEB`, …); NVD tags joined, or empty.
    #[serde(rename = "type")]
    pub kind: String,
    pub url: String,
}

/// The OSV range types drydock evaluates. `GIT` ranges are skipped at build time (they name
/// commits, which an installed package does not carry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RangeKind {
    /// Versions compared by the ecosystem's own scheme.
    Ecosystem,
    /// Versions compared as SemVer 2.0.
    Semver,
}

impl RangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RangeKind::Ecosystem => "ECOSYSTEM",
            RangeKind::Semver => "SEMVER",
        }
    }
}

/// One OSV range event, serialized exactly as OSV writes it (`{"introduced": "1.0"}`), so it
/// converts one-to-one into `drydock_version::RangeEvent`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// `0` means "from the first version".
    Introduced(String),
    Fixed(String),
    LastAffected(String),
    Limit(String),
}

impl Event {
    pub fn version(&self) -> &str {
        match self {
            Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => v,
        }
    }
}

impl From<&Event> for drydock_version::RangeEvent {
    fn from(e: &Event) -> Self {
        use drydock_version::RangeEvent as R;
        match e {
            Event::Introduced(v) => R::Introduced(v.clone()),
            Event::Fixed(v) => R::Fixed(v.clone()),
            Event::LastAffected(v) => R::LastAffected(v.clone()),
            Event::Limit(v) => R::Limit(v.clone()),
        }
    }
}

/// A range: its type and its events in feed order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    #[serde(rename = "type")]
    pub kind: RangeKind,
    pub events: Vec<Event>,
}

impl Range {
    /// The events as `drydock_version::in_osv_range` takes them.
    pub fn range_events(&self) -> Vec<drydock_version::RangeEvent> {
        self.events.iter().map(Into::into).collect()
    }

    /// The scheme that orders this range's versions under `key`.
    pub fn scheme(&self, key: &FeedKey) -> Option<drydock_version::Scheme> {
        match self.kind {
            RangeKind::Semver => Some(drydock_version::Scheme::Semver),
            RangeKind::Ecosystem => key.scheme(),
        }
    }
}

/// Where a package stands for an advisory, as distribution trackers say it. Language (OSV)
/// records are `Fixed` when a range has a `fixed` event, `Unfixed` otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Fixed,
    Unfixed,
    /// The distribution says its package was never affected (secdb version `0`, Debian
    /// `resolved` with fixed version `0`).
    NotAffected,
    /// Debian `no-dsa`: minor, no security update planned.
    WillNotFix,
    Ignored,
    Postponed,
    EndOfLife,
    /// Debian `undetermined`.
    Undetermined,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Fixed => "fixed",
            Status::Unfixed => "unfixed",
            Status::NotAffected => "not_affected",
            Status::WillNotFix => "will_not_fix",
            Status::Ignored => "ignored",
            Status::Postponed => "postponed",
            Status::EndOfLife => "end_of_life",
            Status::Undetermined => "undetermined",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "fixed" => Status::Fixed,
            "unfixed" => Status::Unfixed,
            "not_affected" => Status::NotAffected,
            "will_not_fix" => Status::WillNotFix,
            "ignored" => Status::Ignored,
            "postponed" => Status::Postponed,
            "end_of_life" => Status::EndOfLife,
            "undetermined" => Status::Undetermined,
            _ => return None,
        })
    }
}

/// One package of one feed key affected by one advisory: what the matcher evaluates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Affected {
    pub advisory_id: String,
    pub source: String,
    pub key: FeedKey,
    /// The package name as stored: PEP 503-normalized for PyPI, the source (origin) package
    /// name for distributions.
    pub package: String,
    /// Version ranges (ECOSYSTEM or SEMVER); empty when only `versions` or `fixed` apply.
    pub ranges: Vec<Range>,
    /// Explicitly listed affected versions (OSV `versions`), matched exactly.
    pub versions: Vec<String>,
    /// The fixed versions the ranges name, for reporting.
    pub fixed: Vec<String>,
    pub status: Status,
    /// Debian's urgency (`low`, `medium`, `high`, `unimportant`, `not yet assigned`, …).
    pub urgency: Option<String>,
    /// RustSec informational kind for this package, when set.
    pub informational: Option<Informational>,
    /// OSV `affected[].ecosystem_specific` and `database_specific`, verbatim.
    pub ecosystem_specific: Option<serde_json::Value>,
    pub database_specific: Option<serde_json::Value>,
}

/// The ids that describe one vulnerability, and the one drydock reports it under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AliasGroup {
    /// The lowest CVE id of the group if it has one, else the lowest GHSA id, else the lowest id.
    pub canonical: String,
    /// Every id of the group, the canonical one included, sorted.
    pub ids: Vec<String>,
}
