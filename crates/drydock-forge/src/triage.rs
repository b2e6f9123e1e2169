//! The seam to triage: which findings a human took out of the table (`not_affected`,
//! `false_positive`, `accepted`) and which acceptances run out soon.
//!
//! drydock-forge reads triage only through [`TriageSource`], so the issue sync and the alerts
//! work the same with no triage at all ([`NoTriage`]) and with the store's triage records
//! ([`StoreTriage`]: the same matching as at scan time, `drydock_triage::TriageSuppressor`).

use drydock_policy::Date;
use drydock_store::{Observation, Store, TriageFilter};
use drydock_triage::{State, Triage, TriageSuppressor, describe};

use crate::ForgeError;

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

/// The store's triage records: `not_affected`, `false_positive` and unexpired `accepted`
/// records take a finding out of the table (the most specific record wins: image, then
/// release, then all); acceptances are listed when they expired or expire soon.
#[derive(Debug)]
pub struct StoreTriage {
    suppressor: TriageSuppressor,
    records: Vec<Triage>,
    today: Date,
}

impl StoreTriage {
    /// Every triage record of the store, judged on `today`.
    pub fn load(store: &mut Store, today: Date) -> Result<StoreTriage, ForgeError> {
        let raw = store.triage_list(&TriageFilter::default())?;
        let records = raw
            .iter()
            .filter_map(|r| Triage::from_record(r).ok())
            .collect();
        Ok(StoreTriage {
            suppressor: TriageSuppressor::new(&raw),
            records,
            today,
        })
    }
}

impl TriageSource for StoreTriage {
    fn suppression(
        &self,
        repository: &str,
        releases: &[String],
        finding: &Observation,
    ) -> Option<Suppression> {
        let m = self.suppressor.matching(
            repository,
            releases,
            &finding.ecosystem,
            &finding.package,
            &finding.vuln_id,
        )?;
        if !m.triage.suppresses(self.today) {
            return None;
        }
        Some(Suppression {
            state: m.triage.state.as_str().to_string(),
            reason: describe(m.triage, self.today),
            expires: m.triage.expires.map(|d| d.to_string()),
        })
    }

    fn expiring(&self, today: &str, days: i64) -> Vec<Expiring> {
        let today: Date = today.parse().unwrap_or(self.today);
        let horizon = Date::from_unix_days(drydock_triage::unix_days(today) + days);
        let mut out: Vec<Expiring> = self
            .records
            .iter()
            .filter(|t| t.state == State::Accepted)
            .filter_map(|t| {
                let e = t.expires?;
                (e <= horizon).then(|| Expiring {
                    vuln_id: t.vuln_id.clone(),
                    package: t.package.clone(),
                    scope: t.scope.to_string(),
                    expires: e.to_string(),
                    expired: e < today,
                    owner: t.owner.clone(),
                })
            })
            .collect();
        out.sort_by(|a, b| (&a.expires, &a.vuln_id).cmp(&(&b.expires, &b.vuln_id)));
        out
    }
}
