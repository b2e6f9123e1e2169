//! The seam to triage: which findings a human took out of the table (`not_affected`,
//! `false_positive`, `accepted`) and which acceptances run out soon.
//!
//! drydock-forge reads triage only through [`TriageSource`], so the issue sync and the alerts
//! work the same with no triage at all ([`NoTriage`]) and with the store's triage records (the
//! CLI passes an implementation backed by them when the store has any).

use drydock_store::Observation;

/// Why a finding is left out of an issue's table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    /// `not_affected`, `false_positive`, `accepted`.
    pub state: String,
    pub reason: String,
    /// YYYY-MM-DD for an acceptance with an expiry.
    pub expires: Option<String>,
}

/// An acceptance that expired or expires soon.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Expiring {
    pub vuln_id: String,
    pub package: String,
    /// The repository, release or `all` it applies to.
    pub scope: String,
    /// YYYY-MM-DD.
    pub expires: String,
    pub expired: bool,
    pub owner: Option<String>,
}

/// Triage as the issue sync and the alerts read it.
pub trait TriageSource {
    /// The triage that takes this finding of `repository` (listed in `releases`) out of the
    /// table, if any (an expired acceptance no longer does).
    fn suppression(
        &self,
        repository: &str,
        releases: &[String],
        finding: &Observation,
    ) -> Option<Suppression>;

    /// Acceptances that expired before `today` or expire within `days` of it (YYYY-MM-DD).
    fn expiring(&self, today: &str, days: i64) -> Vec<Expiring>;
}

/// No triage: every finding counts, nothing expires.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoTriage;

impl TriageSource for NoTriage {
    fn suppression(&self, _: &str, _: &[String], _: &Observation) -> Option<Suppression> {
        None
    }
    fn expiring(&self, _: &str, _: i64) -> Vec<Expiring> {
        Vec::new()
    }
}
