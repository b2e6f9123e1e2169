use drydock_match::Finding;
use serde::{Deserialize, Serialize};

/// What policy made of a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Reported, and at or above the gate (`--fail-on`, or any with `--exit-code`).
    Fail,
    /// Reported, below the gate.
    Report,
    /// Filtered out by `--severity` or `--ignore-unfixed`: not shown in the table, kept in JSON.
    Filtered,
    /// Suppressed by an ignore-file entry (with reason and expiry) or a VEX statement.
    Suppressed,
}

/// A finding with its verdict and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    #[serde(flatten)]
    pub finding: Finding,
    pub verdict: Verdict,
    /// Why it was filtered or suppressed (`severity LOW below --severity HIGH,CRITICAL`,
    /// the ignore entry's reason, the VEX justification).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Where the suppression came from (`.drydockignore.yaml:12`, `vex.json`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed_by: Option<String>,
    /// The ignore entry's expiry date (YYYY-MM-DD).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

/// Something about the policy inputs the user must see: an expired ignore entry (it no longer
/// suppresses), an entry that matched nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyNotice {
    pub kind: PolicyNoticeKind,
    /// `file:line` of the entry.
    pub source: String,
    pub id: String,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyNoticeKind {
    /// The entry's expiry date has passed: it no longer suppresses.
    Expired,
    /// The entry matched no finding.
    Unused,
    /// A `.trivyignore` / `.trivyignore.yaml` entry without a reason or an expiry date:
    /// accepted (Trivy does not require them) but shown, since drydock's own file would not be.
    Unjustified,
}
