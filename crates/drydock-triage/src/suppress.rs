//! Triage at scan time: [`TriageSuppressor`] implements [`drydock_scan::Suppressor`].

use std::collections::BTreeSet;
use std::sync::Mutex;

use drydock_match::identity;
use drydock_policy::{Date, Decision, Verdict};
use drydock_store::{Store, TriageFilter, TriageRecord};

use crate::TriageError;
use crate::state::{Scope, State, Triage};

/// Every triage record of a store, applied to the decisions of each scanned image:
/// `not_affected`, `false_positive` and unexpired `accepted` records suppress (verdict
/// `suppressed`, the reason, the expiry, `suppressed_by: "triage #ID"`); the other states, and
/// expired acceptances, annotate the finding's reason and leave its verdict alone. Records that
/// matched nothing in any image are [`TriageSuppressor::unused`].
#[derive(Debug)]
pub struct TriageSuppressor {
    records: Vec<(i64, Triage)>,
    used: Mutex<BTreeSet<i64>>,
}

/// What [`TriageSuppressor::matching`] found for a finding.
#[derive(Debug, Clone, Copy)]
pub struct Match<'a> {
    pub id: i64,
    pub triage: &'a Triage,
}

impl TriageSuppressor {
    /// From stored records; a record that no longer validates (hand-edited database) is
    /// skipped with a warning rather than failing every scan.
    pub fn new(records: &[TriageRecord]) -> TriageSuppressor {
        let records = records
            .iter()
            .filter_map(|r| match Triage::from_record(r) {
                Ok(t) => Some((r.id, t)),
                Err(e) => {
                    tracing::warn!("triage #{} is ignored: {e}", r.id);
                    None
                }
            })
            .collect();
        TriageSuppressor {
            records,
            used: Mutex::new(BTreeSet::new()),
        }
    }

    /// Every record of the store.
    pub fn from_store(store: &mut Store) -> Result<TriageSuppressor, TriageError> {
        Ok(TriageSuppressor::new(
            &store.triage_list(&TriageFilter::default())?,
        ))
    }

    /// Whether an acceptance runs out on a day in `[from, until)` (`YYYY-MM-DD`): a diff of
    /// two runs then looks at every finding for `acceptance expired`, not just the changed.
    pub fn acceptance_expires_between(&self, from: &str, until: &str) -> bool {
        self.records.iter().any(|(_, t)| {
            t.state == State::Accepted
                && t.expires.is_some_and(|x| {
                    let x = x.to_string();
                    x.as_str() >= from && x.as_str() < until
                })
        })
    }

    /// The most specific record for a finding identity in an image of these releases: an
    /// image-scoped one before a release-scoped one before an `all` one; with an ecosystem
    /// before one without.
    pub fn matching(
        &self,
        repository: &str,
        releases: &[String],
        ecosystem: &str,
        package: &str,
        vuln_id: &str,
    ) -> Option<Match<'_>> {
        self.records
            .iter()
            .filter(|(_, t)| {
                t.vuln_id.eq_ignore_ascii_case(vuln_id)
                    && t.package.eq_ignore_ascii_case(package)
                    && t.ecosystem.is_none_or(|e| e.as_str() == ecosystem)
                    && match &t.scope {
                        Scope::Image(r) => r == repository,
                        Scope::Release(r) => releases.iter().any(|x| x == r),
                        Scope::All => true,
                    }
            })
            .max_by_key(|(id, t)| {
                (
                    t.scope.rank(),
                    t.ecosystem.is_some(),
                    std::cmp::Reverse(*id),
                )
            })
            .map(|(id, triage)| Match { id: *id, triage })
    }

    /// Records that matched no finding in any image this suppressor was applied to.
    pub fn unused(&self) -> Vec<(i64, &Triage)> {
        let used = self.used.lock().map(|u| u.clone()).unwrap_or_default();
        self.records
            .iter()
            .filter(|(id, _)| !used.contains(id))
            .map(|(id, t)| (*id, t))
            .collect()
    }

    fn mark(&self, id: i64) {
        if let Ok(mut u) = self.used.lock() {
            u.insert(id);
        }
    }
}

/// The text a record puts on a finding's `reason`.
pub fn describe(t: &Triage, today: Date) -> String {
    let mut s = t.state.as_str().to_string();
    if let Some(j) = t.justification {
        s.push_str(&format!(" ({j})"));
    }
    if let Some(r) = t.reason.as_deref().or(t.notes.as_deref()) {
        s.push_str(": ");
        s.push_str(r);
    }
    if t.state == State::Accepted
        && let Some(e) = t.expires
        && e < today
    {
        s = format!("acceptance expired on {e} ({s})");
    }
    s
}

impl TriageSuppressor {
    /// Applies the record `m` to a verdict: a suppressing record suppresses (unless an ignore
    /// file did already: it keeps its attribution), any other annotates the reason.
    fn settle(&self, m: Match<'_>, today: Date, d: Settled<'_>) {
        self.mark(m.id);
        let by = format!("triage #{}", m.id);
        if m.triage.suppresses(today) {
            if *d.verdict != Verdict::Suppressed {
                *d.verdict = Verdict::Suppressed;
                *d.reason = Some(describe(m.triage, today));
                *d.suppressed_by = Some(by);
                *d.expires = m.triage.expires.map(|e| e.to_string());
            }
        } else if *d.verdict != Verdict::Suppressed {
            let note = format!("{by}: {}", describe(m.triage, today));
            *d.reason = Some(match d.reason.take() {
                Some(r) => format!("{r}; {note}"),
                None => note,
            });
            if m.triage.state == State::Accepted {
                *d.expires = m.triage.expires.map(|e| e.to_string());
            }
        }
    }
}

/// The policy fields of a vulnerability decision or a misconfiguration/secret entry.
struct Settled<'a> {
    verdict: &'a mut Verdict,
    reason: &'a mut Option<String>,
    suppressed_by: &'a mut Option<String>,
    expires: &'a mut Option<String>,
}

impl drydock_scan::Suppressor for TriageSuppressor {
    fn apply(
        &self,
        repository: &str,
        releases: &[String],
        decisions: &mut [Decision],
        today: Date,
    ) {
        for d in decisions.iter_mut() {
            let f = &d.finding;
            let vuln = identity::vulnerability_id(&f.id, &f.aliases);
            if let Some(m) = self.matching(
                repository,
                releases,
                f.ecosystem.as_str(),
                &f.package,
                &vuln,
            ) {
                let fields = Settled {
                    verdict: &mut d.verdict,
                    reason: &mut d.reason,
                    suppressed_by: &mut d.suppressed_by,
                    expires: &mut d.expires,
                };
                self.settle(m, today, fields);
            }
        }
    }

    /// A misconfiguration or secret is named by its check id as the vulnerability and, as
    /// the package, its fingerprint (`drydock triage set DD-306 --package FINGERPRINT`: that
    /// one finding) or what it is about as the history store names it (the file path, the
    /// config field); a record with an ecosystem never names one.
    fn apply_checks(
        &self,
        repository: &str,
        releases: &[String],
        entries: &mut [drydock_scan::MisconfigEntry],
        today: Date,
    ) {
        for e in entries.iter_mut() {
            let f = &e.finding;
            let by_name = |package: &str| self.matching(repository, releases, "", package, &f.id);
            if let Some(m) = by_name(&f.fingerprint).or_else(|| by_name(f.evidence.subject())) {
                let p = &mut e.policy;
                let fields = Settled {
                    verdict: &mut p.verdict,
                    reason: &mut p.reason,
                    suppressed_by: &mut p.suppressed_by,
                    expires: &mut p.expires,
                };
                self.settle(m, today, fields);
            }
        }
    }
}
