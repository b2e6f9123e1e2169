//! The report model: what every writer reads, and what `--format json` prints as is.

use std::collections::BTreeMap;

use drydock_match::{Coverage, Finding, Notice, Severity};
use drydock_package::{Os, Package, ScanWarning};
use drydock_policy::{Decision, PolicyNotice, Verdict};
use serde::{Deserialize, Serialize};

use crate::misconfig::MisconfigEntry;

/// The version of the JSON schema (`docs/json-schema.md`). Bumped only for changes that break a
/// reader: removed or renamed keys, changed types or meanings. New optional keys keep it.
pub const SCHEMA_VERSION: u32 = 1;

/// One scan's result: an inventory (`drydock sbom`) or findings (`drydock image` / `fs`) for one
/// or more targets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    /// When the scan ran, RFC 3339 in UTC (`2026-11-23T10:00:00Z`). The only time in a report.
    pub created_at: String,
    pub kind: ReportKind,
    pub targets: Vec<TargetReport>,
    /// Problems that did not stop the scan (unreadable package databases, bad lockfiles).
    pub errors: Vec<ScanWarning>,
    /// Expired or unused ignore-file entries.
    pub policy_notices: Vec<PolicyNotice>,
    /// The CI gate's outcome; `None` when no gate was asked for (`drydock sbom`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub gate: Option<Gate>,
}

/// The program that wrote the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

impl Default for Tool {
    /// `drydock` at this crate's version (the workspace version).
    fn default() -> Self {
        Tool {
            name: "drydock".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// What a report holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// Inventory only (`drydock sbom`): targets have packages, no findings.
    Sbom,
    /// Inventory and findings (`drydock image`, `drydock fs`).
    Vulnerability,
}

/// The outcome of the CI gate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gate {
    /// Whether the scan fails the gate (the CLI exits with `--exit-code`).
    pub failed: bool,
    /// `--fail-on`: the lowest severity that counts; `None` means every reported finding counts.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub fail_on: Option<Severity>,
    /// How many findings counted against the gate.
    pub counted: usize,
}

/// One scanned target: an image or a directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetReport {
    /// The display name: the image reference or tag, the archive path, the directory.
    pub name: String,
    /// `docker-archive`, `oci-layout`, `oci-archive`, `rootfs-tarball` or `directory`.
    pub kind: String,
    /// The manifest digest, else the config digest (`sha256:…`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub digest: Option<String>,
    /// `os/arch[/variant]`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub platform: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub os: Option<Os>,
    pub layers: Vec<LayerSummary>,
    pub packages: Vec<PackageEntry>,
    /// Every finding with its verdict, including filtered and suppressed ones.
    pub findings: Vec<Decision>,
    /// Advisories that are not vulnerabilities (RustSec unmaintained, unsound, notice).
    pub notices: Vec<Notice>,
    /// Per ecosystem: how many packages were checked against an advisory source the DB holds,
    /// and how many could not be (with the reason). Empty for an SBOM.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub coverage: Vec<Coverage>,
    /// `--scanners misconfig`: misconfigurations of the image config, history, files and the
    /// `--dockerfile`, with their verdicts (absent when none or not scanned).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub misconfigurations: Vec<MisconfigEntry>,
    /// `--scanners secret`: secrets in the config, history, files and the `--dockerfile`.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub secrets: Vec<MisconfigEntry>,
}

impl TargetReport {
    /// A target with no layers, packages or findings yet.
    pub fn new(name: impl Into<String>, kind: impl Into<String>) -> Self {
        TargetReport {
            name: name.into(),
            kind: kind.into(),
            digest: None,
            platform: None,
            os: None,
            layers: Vec::new(),
            packages: Vec::new(),
            findings: Vec::new(),
            notices: Vec::new(),
            coverage: Vec::new(),
            misconfigurations: Vec::new(),
            secrets: Vec::new(),
        }
    }

    /// The coverage entries with packages that could not be checked.
    pub fn unchecked(&self) -> impl Iterator<Item = &Coverage> {
        self.coverage.iter().filter(|c| !c.is_complete())
    }

    /// One line on what could not be checked (`88 deb packages: the DB has no advisories for
    /// debian 12; …`), `None` when everything was.
    pub fn coverage_notice(&self) -> Option<String> {
        let parts: Vec<String> = self
            .unchecked()
            .map(|c| {
                let noun = if c.unmatched == 1 {
                    "package"
                } else {
                    "packages"
                };
                match &c.reason {
                    Some(r) => format!("{} {} {noun} ({r})", c.unmatched, c.ecosystem),
                    None => format!("{} {} {noun}", c.unmatched, c.ecosystem),
                }
            })
            .collect();
        if parts.is_empty() {
            return None;
        }
        let checked: usize = self.coverage.iter().map(|c| c.matched).sum();
        let all: usize = self.coverage.iter().map(|c| c.packages).sum();
        Some(format!(
            "Not checked: {} ({checked} of {all} packages checked)",
            parts.join("; ")
        ))
    }

    /// Sets `os` and `packages` from an inventory, computing each package's purl.
    pub fn set_inventory(&mut self, os: Option<Os>, packages: impl IntoIterator<Item = Package>) {
        self.packages = packages
            .into_iter()
            .map(|p| PackageEntry::new(p, os.as_ref()))
            .collect();
        self.os = os;
    }

    /// Findings that are reported (verdict `fail` or `report`), in report order.
    pub fn reported(&self) -> impl Iterator<Item = &Decision> {
        self.findings.iter().filter(|d| is_reported(d))
    }

    /// Findings shown to a reader: the reported ones, plus filtered and suppressed ones when
    /// `show_suppressed`.
    pub fn shown(&self, show_suppressed: bool) -> impl Iterator<Item = &Decision> {
        self.findings
            .iter()
            .filter(move |d| show_suppressed || is_reported(d))
    }

    /// Reported findings per severity, every severity present (zero when none).
    pub fn severity_counts(&self) -> BTreeMap<Severity, usize> {
        let mut counts: BTreeMap<Severity, usize> = [
            Severity::Unknown,
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ]
        .into_iter()
        .map(|s| (s, 0))
        .collect();
        for d in self.reported() {
            *counts.entry(d.finding.severity).or_default() += 1;
        }
        counts
    }

    /// The package a finding is about, by purl, else by ecosystem, name and version.
    pub fn package_of(&self, f: &Finding) -> Option<&PackageEntry> {
        self.packages.iter().find(|p| p.purl == f.purl).or_else(|| {
            self.packages.iter().find(|p| {
                p.package.ecosystem == f.ecosystem
                    && p.package.name == f.package
                    && p.package.version == f.installed
            })
        })
    }

    /// The index of the layer whose diff_id (or blob digest) is `diff_id`.
    pub fn layer_index(&self, diff_id: &str) -> Option<usize> {
        self.layers
            .iter()
            .find(|l| l.diff_id.as_deref() == Some(diff_id) || l.digest.as_deref() == Some(diff_id))
            .map(|l| l.index)
    }
}

/// The title a reader sees: the advisory's title, else the first sentence of its description
/// (NVD and PYSEC records have no title), else empty. Every writer uses it, so no format shows
/// a blank where another shows text.
pub fn display_title(f: &Finding) -> &str {
    if let Some(t) = f.title.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        return t;
    }
    f.description.as_deref().map_or("", first_sentence)
}

/// The first sentence of `text`: up to the first `. ` (not after a one-letter abbreviation
/// such as `e.g.`) on its first non-blank line, without the full stop.
pub fn first_sentence(text: &str) -> &str {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let bytes = line.as_bytes();
    let mut i = 0;
    while let Some(off) = line[i..].find(". ") {
        let at = i + off;
        // `e.g. `, `i.e. `, `v1. `: a dot two characters back, or a lone letter before.
        let abbrev = at >= 2 && (bytes[at - 2] == b'.' || bytes[at - 2] == b' ');
        if !abbrev {
            return &line[..at];
        }
        i = at + 2;
    }
    line.strip_suffix('.').unwrap_or(line)
}

/// Whether a decision is reported (fail or report), as opposed to filtered or suppressed.
pub fn is_reported(d: &Decision) -> bool {
    matches!(d.verdict, Verdict::Fail | Verdict::Report)
}

/// One layer of an image, as walked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerSummary {
    pub index: usize,
    /// The blob digest as the manifest names it (compressed).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub digest: Option<String>,
    /// The digest of the uncompressed layer (`rootfs.diff_ids`); package locations name this.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub diff_id: Option<String>,
    /// Uncompressed size in bytes.
    pub size: u64,
    /// The history entry that made the layer (`RUN apk add …`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub created_by: Option<String>,
}

/// An installed package with its purl.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageEntry {
    #[serde(flatten)]
    pub package: Package,
    pub purl: String,
}

impl PackageEntry {
    /// Computes the purl with [`Package::purl`].
    pub fn new(package: Package, os: Option<&Os>) -> Self {
        let purl = package.purl(os);
        PackageEntry { package, purl }
    }
}

impl Report {
    /// An empty report written now by this drydock (`created_at` as given, RFC 3339 UTC).
    pub fn new(kind: ReportKind, created_at: impl Into<String>) -> Self {
        Report {
            schema_version: SCHEMA_VERSION,
            tool: Tool::default(),
            created_at: created_at.into(),
            kind,
            targets: Vec::new(),
            errors: Vec::new(),
            policy_notices: Vec::new(),
            gate: None,
        }
    }

    /// Sorts everything whose order shows, so that equal scans give byte-equal output: targets
    /// by name, packages by ecosystem/name/version, findings by severity (highest first), then
    /// package, advisory id and installed version; notices, errors and policy notices by their
    /// fields.
    pub fn normalize(&mut self) {
        self.targets.sort_by(|a, b| a.name.cmp(&b.name));
        for t in &mut self.targets {
            t.layers.sort_by_key(|l| l.index);
            t.packages.sort_by(|a, b| a.package.cmp(&b.package));
            t.findings.sort_by(finding_order);
            t.notices.sort_by(|a, b| {
                (a.ecosystem, &a.package, &a.installed, &a.id).cmp(&(
                    b.ecosystem,
                    &b.package,
                    &b.installed,
                    &b.id,
                ))
            });
        }
        self.errors.sort();
        self.policy_notices
            .sort_by(|a, b| (&a.source, &a.id, &a.message).cmp(&(&b.source, &b.id, &b.message)));
    }

    /// All reported findings over all targets (misconfigurations and secrets included).
    pub fn reported_count(&self) -> usize {
        self.targets
            .iter()
            .map(|t| t.reported().count() + crate::misconfig::reported(t).count())
            .sum()
    }
}

/// Report order of findings: severity descending, then package, advisory id, installed version.
pub fn finding_order(a: &Decision, b: &Decision) -> std::cmp::Ordering {
    let (x, y) = (&a.finding, &b.finding);
    y.severity
        .cmp(&x.severity)
        .then_with(|| x.package.cmp(&y.package))
        .then_with(|| x.ecosystem.cmp(&y.ecosystem))
        .then_with(|| x.id.cmp(&y.id))
        .then_with(|| x.installed.cmp(&y.installed))
        .then_with(|| x.fingerprint.cmp(&y.fingerprint))
}

/// A digest shortened for tables: the hex part's first 12 characters (`sha256:0123…` → `0123456789ab`).
pub fn short_digest(digest: &str) -> &str {
    let hex = digest.split_once(':').map_or(digest, |(_, h)| h);
    hex.get(..12).unwrap_or(hex)
}

/// The paths a package was found at, comma-separated (the Path column of the HTML and
/// Markdown package tables).
pub(crate) fn location_paths(pkg: &Package) -> String {
    pkg.locations
        .iter()
        .map(|l| l.path.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The name serde gives a unit enum variant (`will_not_fix`, `expired`), so writers name new
/// variants of upstream enums without a match that breaks when they grow.
pub(crate) fn serde_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::from("unknown"),
    }
}

/// A UUID (version 8, "custom") derived from `parts` with SHA-256, for identifiers that formats
/// require to be unique per document (CycloneDX `serialNumber`, SPDX `documentNamespace`) while
/// the output stays a function of the report.
pub(crate) fn content_uuid(parts: &[&str]) -> String {
    use sha2::{Digest as _, Sha256};
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x80; // version 8
    b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The identity of a report's content for [`content_uuid`]: the scan time and each target's
/// name and digest.
pub(crate) fn report_uuid(report: &Report, salt: &str) -> String {
    let mut parts: Vec<&str> = vec![salt, &report.created_at];
    for t in &report.targets {
        parts.push(&t.name);
        parts.push(t.digest.as_deref().unwrap_or(""));
    }
    content_uuid(&parts)
}
