//! Triage at scan time: [`TriageSuppressor`] implements [`drydock_scan::Suppressor`].

use std::collections::BTreeSet;
use std::sync::Mutex;

use drydock_match::identity;
use drydock_policy::{Date, Decision, PolicyNotice, PolicyNoticeKind, Verdict};
use drydock_store::{Store, TriageFilter, TriageRecord};

use crate::TriageError;
use crate::state::{Scope, State, Triage};

/// Every triage record of a store, applied to the decisions of each scanned image:
/// `not_affected`, `false_positive` and unexpired `accepted` records suppress (verdict
/// `suppressed`, the reason, the expiry, `suppressed_by: "triage #ID"`); the other states, and
/// expired acceptances, annotate the finding's reason and leave its verdict alone. Records that
/// could have matched in the images it was applied to and matched nothing are
/// [`TriageSuppressor::unused`].
#[derive(Debug)]
pub struct TriageSuppressor {
    records: Vec<(i64, Triage)>,
    seen: Mutex<Seen>,
}

/// What the suppressor was applied to: the records that matched, the repositories and
/// releases of the images it saw.
#[derive(Debug, Default, Clone)]
struct Seen {
    used: BTreeSet<i64>,
    repositories: BTreeSet<String>,
    releases: BTreeSet<String>,
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
            seen: Mutex::new(Seen::default()),
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

    /// Records that matched no finding in the images this suppressor was applied to, of
    /// those that could have: an image record of a repository it saw, a release record of a
    /// release it saw, and with `whole_run` (it saw every image of a fleet run) an `all`
    /// record. A record of a repository or release that was not scanned is not unused, nor is
    /// an `all` record after one image: it is about images not scanned as much as this one.
    pub fn unused(&self, whole_run: bool) -> Vec<(i64, &Triage)> {
        let seen = self.seen.lock().map(|s| s.clone()).unwrap_or_default();
        self.records
            .iter()
            .filter(|(id, t)| {
                !seen.used.contains(id)
                    && match &t.scope {
                        Scope::Image(r) => seen.repositories.contains(r),
                        Scope::Release(r) => seen.releases.contains(r),
                        Scope::All => whole_run && !seen.repositories.is_empty(),
                    }
            })
            .map(|(id, t)| (*id, t))
            .collect()
    }

    /// [`TriageSuppressor::unused`] as report notices (`kind: unused`, `source: triage #ID`),
    /// the way unused ignore-file entries are reported.
    pub fn unused_notices(&self, whole_run: bool) -> Vec<PolicyNotice> {
        self.unused(whole_run)
            .into_iter()
            .map(|(id, t)| unused_notice(id, t))
            .collect()
    }

    fn mark(&self, id: i64) {
        if let Ok(mut s) = self.seen.lock() {
            s.used.insert(id);
        }
    }

    /// Notes the image a scan applies the records to.
    fn saw(&self, repository: &str, releases: &[String]) {
        if let Ok(mut s) = self.seen.lock() {
            s.repositories.insert(repository.to_string());
            s.releases.extend(releases.iter().cloned());
        }
    }
}

/// The notice for record `id` that matched no finding: `triage #3 (CVE-2024-1 in openssl,
/// image registry.example/app) matches no finding: is it still needed?`.
pub fn unused_notice(id: i64, t: &Triage) -> PolicyNotice {
    PolicyNotice {
        kind: PolicyNoticeKind::Unused,
        source: format!("triage #{id}"),
        id: t.vuln_id.clone(),
        message: format!(
            "triage #{id} ({} in {}, {}) matches no finding: is it still needed?",
            t.vuln_id, t.package, t.scope
        ),
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
        self.saw(repository, releases);
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
        self.saw(repository, releases);
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
