use drydock_package::{Ecosystem, Location, SourcePackage};
use serde::{Deserialize, Serialize};

use crate::reachability::Reachability;

/// A finding's severity. `Unknown` when no source rates it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    Unknown,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Unknown => "UNKNOWN",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }

    /// Parses `low`, `Moderate` (GHSA, Debian urgencies `medium**`), `important` (Red Hat), ….
    pub fn parse_loose(s: &str) -> Option<Severity> {
        let l = s.trim().trim_end_matches('*').to_ascii_lowercase();
        Some(match l.as_str() {
            "unknown" | "unimportant" | "not yet assigned" | "end-of-life" => Severity::Unknown,
            "negligible" | "low" | "none" => Severity::Low,
            "medium" | "moderate" => Severity::Medium,
            "high" | "important" => Severity::High,
            "critical" => Severity::Critical,
            _ => return None,
        })
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::parse_loose(s).ok_or_else(|| {
            format!("unknown severity `{s}` (expected UNKNOWN, LOW, MEDIUM, HIGH or CRITICAL)")
        })
    }
}

/// Where a finding's severity came from, in rank order: the vendor of the package's data
/// (distribution, GHSA/OSV database severity), then NVD, then derived from a CVSS vector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "name")]
pub enum SeveritySource {
    Vendor(String),
    Nvd,
    Cvss(String),
    None,
}

/// Whether and how the vulnerability is fixed for this package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingStatus {
    /// A fixed version exists.
    Fixed,
    /// No fix yet.
    Unfixed,
    /// The vendor decided not to fix (Debian `no-dsa`/`ignored`, Red Hat "will not fix").
    WillNotFix,
    /// The vendor postponed the fix.
    Postponed,
    /// The distribution release is end-of-life.
    EndOfLife,
}

impl FindingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingStatus::Fixed => "fixed",
            FindingStatus::Unfixed => "unfixed",
            FindingStatus::WillNotFix => "will_not_fix",
            FindingStatus::Postponed => "postponed",
            FindingStatus::EndOfLife => "end_of_life",
        }
    }
}

/// A CVSS statement with its scores; environmental ones when an environment profile applies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvssScore {
    /// Who states the vector (`nvd@nist.gov`, `ghsa`, …).
    pub source: String,
    pub version: String,
    pub vector: String,
    pub base_score: f64,
    pub base_severity: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environmental_vector: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environmental_score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environmental_severity: Option<Severity>,
}

/// One package × one advisory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The target's display name (image name, directory).
    pub target: String,
    pub ecosystem: Ecosystem,
    pub package: String,
    pub installed: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_package: Option<SourcePackage>,
    pub purl: String,
    /// The advisory id as the matched record names it (`CVE-2019-14697`, `GHSA-…`, `RUSTSEC-…`).
    pub id: String,
    /// Other ids of the same vulnerability (CVE first when the id is not one).
    pub aliases: Vec<String>,
    /// Fixed version(s), comma-separated as Trivy prints them; `None` when unfixed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed: Option<String>,
    pub status: FindingStatus,
    pub severity: Severity,
    pub severity_source: SeveritySource,
    /// Environmental severity, when an environment profile applied to a CVSS vector.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environmental_severity: Option<Severity>,
    pub cvss: Vec<CvssScore>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_url: Option<String>,
    pub references: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
    pub cwes: Vec<String>,
    /// Where the package was found (layer diff_id + path).
    pub locations: Vec<Location>,
    /// Whether the advisory's vulnerable code is in the binary the package was found in
    /// (Go binaries; see [`crate::reachability`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Reachability>,
    /// Stable identity: see [`fingerprint`].
    pub fingerprint: String,
}

/// The stable identity of a finding: see [`crate::identity`]. `target` is the repository
/// (or, before [`crate::identity::assign`] runs, the target name); `id` the vulnerability id.
pub fn fingerprint(target: &str, ecosystem: Ecosystem, package: &str, id: &str) -> String {
    crate::identity::fingerprint(target, ecosystem, package, id)
}

/// An advisory that is not a vulnerability (RustSec `unmaintained`, `unsound`, `notice`) for
/// an installed package: reported as a warning, apart from findings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    pub target: String,
    pub ecosystem: Ecosystem,
    pub package: String,
    pub installed: String,
    pub id: String,
    /// `unmaintained`, `unsound`, `notice`.
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub locations: Vec<Location>,
}
