//! Findings → [`Decision`]s: what is reported, what is filtered or suppressed and why, and
//! whether the CI gate fails.
//!
//! [`decide`] applies a [`Policy`] to the findings of a scan, in this order:
//!
//! 1. **Suppression** — an [`IgnoreFile`] entry (id or alias, optional package and path
//!    patterns) that has not expired, else a [`VexDoc`] statement `not_affected` or `fixed`:
//!    verdict [`Verdict::Suppressed`] with the entry's reason or the VEX justification.
//! 2. **Filters** — `--severity`, `--ignore-unfixed` and `--linked-only` (findings whose
//!    [`Finding::evidence`] says the vulnerable code is not in the binary): verdict
//!    [`Verdict::Filtered`].
//! 3. **The gate** — every other finding is reported. With `fail_on` it fails the gate only at
//!    or above that severity ([`Verdict::Fail`]; below it, [`Verdict::Report`]), so the report
//!    still shows everything; without `fail_on` every reported finding fails (the CLI turns a
//!    failed gate into `--exit-code N`, default 0). `fixable_only` lets only findings with a
//!    fixed version fail.
//!
//! Every finding stays in the outcome: the JSON report keeps suppressed and filtered ones with
//! their reason. Expired ignore entries (they no longer suppress), entries that matched
//! nothing, and Trivy entries without a reason or expiry come back as [`PolicyNotice`]s.
//!
//! Ignore files: drydock's `.drydockignore.yaml` requires `reason` and `expires` on every entry
//! (a missing one, a bad date or a malformed file is a [`PolicyError`] naming file and line);
//! Trivy's `.trivyignore` and `.trivyignore.yaml` are read as they are. See `docs/policy.md`.
//!
//! ```
//! use drydock_policy::{Date, IgnoreFile, IgnoreFormat, Policy, decide};
//! use drydock_match::Severity;
//!
//! let ignore = IgnoreFile::parse(
//!     "ignore:\n  - id: CVE-2019-14697\n    reason: musl's x87 code is not built for x86_64\n    expires: 2030-06-30\n",
//!     ".drydockignore.yaml",
//!     IgnoreFormat::Drydock,
//! )?;
//! let policy = Policy {
//!     ignore: Some(ignore),
//!     fail_on: Some(Severity::High),
//!     ..Policy::default()
//! };
//! let findings = Vec::new(); // from drydock_match::match_inventory
//! let today = Date::new(2026, 1, 1).expect("a valid date");
//! let outcome = decide(findings, &policy, today)?;
//! assert!(!outcome.gate_failed);
//! // The entry matched nothing: reported so the file stays current.
//! assert_eq!(outcome.notices.len(), 1);
//! # Ok::<(), drydock_policy::PolicyError>(())
//! ```

mod checks;
mod date;
mod decision;
mod error;
mod ignore;
mod pattern;
mod vex;

use std::collections::BTreeSet;

use drydock_match::{Finding, FindingStatus, Severity};
use serde::{Deserialize, Serialize};

pub use checks::{CheckSubject, CheckVerdict, decide_checks};
pub use date::{BadDate, Date};
pub use decision::{Decision, PolicyNotice, PolicyNoticeKind, Verdict};
pub use error::PolicyError;
pub use ignore::{
    DRYDOCK_IGNORE, IgnoreEntry, IgnoreFile, IgnoreFormat, TRIVY_IGNORE, TRIVY_IGNORE_YAML,
    source_file,
};
pub use vex::{VexDoc, VexStatement, VexStatus};

/// Which severity thresholds and the gate read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeveritySourceChoice {
    /// [`Finding::severity`].
    #[default]
    Base,
    /// [`Finding::environmental_severity`] when an environment profile produced one, else the
    /// base severity.
    Environmental,
}

/// What to report and what fails the gate.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// `--severity`: only these are reported; `None` reports every severity.
    pub severities: Option<BTreeSet<Severity>>,
    /// `--ignore-unfixed`: findings without a fixed version are filtered.
    pub ignore_unfixed: bool,
    pub ignore: Option<IgnoreFile>,
    pub vex: Vec<VexDoc>,
    /// `--fail-on`: the gate fails only at or above this severity.
    pub fail_on: Option<Severity>,
    /// `--fixable-only`: only findings with a fixed version fail the gate.
    pub fixable_only: bool,
    pub severity_source: SeveritySourceChoice,
    /// `--linked-only`: findings whose evidence says the vulnerable code is not in the binary
    /// (`package_not_linked`, `package_linked_symbols_absent`) are filtered.
    pub linked_only: bool,
}

/// Every finding with its verdict, the notices about the policy inputs, and the gate.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PolicyOutcome {
    pub decisions: Vec<Decision>,
    pub notices: Vec<PolicyNotice>,
    /// Whether any decision is [`Verdict::Fail`].
    pub gate_failed: bool,
}

impl Policy {
    /// The severity thresholds and the gate read for `f`.
    pub fn severity_of(&self, f: &Finding) -> Severity {
        match self.severity_source {
            SeveritySourceChoice::Base => f.severity,
            SeveritySourceChoice::Environmental => f.environmental_severity.unwrap_or(f.severity),
        }
    }
}

fn list(s: &BTreeSet<Severity>) -> String {
    s.iter()
        .rev()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// One notice per Trivy ignore file whose entries lack a reason or an expiry date ("3 entries
/// have no reason or expiry date"), not one per entry: Trivy does not require them, so a
/// migrated file may have many.
fn unjustified(entries: &[IgnoreEntry]) -> Vec<PolicyNotice> {
    // file → (entry ids, first line)
    let mut by_file: std::collections::BTreeMap<&str, Vec<&IgnoreEntry>> = Default::default();
    for e in entries {
        if e.format != IgnoreFormat::Drydock && (e.reason.is_none() || e.expires.is_none()) {
            by_file.entry(e.file()).or_default().push(e);
        }
    }
    by_file
        .into_iter()
        .map(|(file, list)| {
            let n = list.len();
            let ids: Vec<&str> = list.iter().map(|e| e.id.as_str()).collect();
            let (verb, noun) = if n == 1 {
                ("has", "entry")
            } else {
                ("have", "entries")
            };
            PolicyNotice {
                kind: PolicyNoticeKind::Unjustified,
                source: file.to_string(),
                id: ids.join(","),
                message: format!(
                    "{n} {noun} {verb} no reason or expiry date (accepted from a Trivy file; `{DRYDOCK_IGNORE}` requires both: a `# comment` beside or above an entry is its reason, `exp:YYYY-MM-DD` its expiry)"
                ),
            }
        })
        .collect()
}

/// Applies `policy` to `findings` (see the crate docs). `today` decides which ignore entries
/// have expired: pass [`Date::today`] in the CLI, a fixed date in tests.
pub fn decide(
    findings: Vec<Finding>,
    policy: &Policy,
    today: Date,
) -> Result<PolicyOutcome, PolicyError> {
    let entries: &[IgnoreEntry] = policy.ignore.as_ref().map_or(&[], |f| &f.entries);
    let mut used = vec![false; entries.len()];
    let mut decisions = Vec::with_capacity(findings.len());
    for f in findings {
        let sev = policy.severity_of(&f);
        let mut d = Decision {
            finding: f,
            verdict: Verdict::Report,
            reason: None,
            suppressed_by: None,
            expires: None,
        };
        if let Some(e) = ignored_by(entries, &mut used, today, |e| e.matches(&d.finding)) {
            d.verdict = Verdict::Suppressed;
            // The location is `suppressed_by`; the reason does not repeat it.
            d.reason = Some(ignore_reason(e));
            d.suppressed_by = Some(e.source.clone());
            d.expires = e.expires.map(|x| x.to_string());
        }
        if d.verdict != Verdict::Suppressed {
            // The last statement about this vulnerability and package decides.
            let last = policy
                .vex
                .iter()
                .rev()
                .flat_map(|doc| doc.statements.iter().rev().map(move |s| (doc, s)))
                .find(|(_, s)| s.matches(&d.finding));
            if let Some((doc, s)) = last
                && matches!(s.status, VexStatus::NotAffected | VexStatus::Fixed)
            {
                d.verdict = Verdict::Suppressed;
                d.reason = Some(s.reason());
                d.suppressed_by = Some(doc.source.clone());
            }
        }
        if d.verdict != Verdict::Suppressed {
            if let Some(why) = severity_filtered(policy, sev) {
                d.verdict = Verdict::Filtered;
                d.reason = Some(why);
            } else if policy.ignore_unfixed && d.finding.status != FindingStatus::Fixed {
                d.verdict = Verdict::Filtered;
                d.reason = Some(format!("{} (--ignore-unfixed)", d.finding.status.as_str()));
            } else if let Some(e) = d
                .finding
                .evidence
                .as_ref()
                .filter(|e| policy.linked_only && e.code_absent())
            {
                d.verdict = Verdict::Filtered;
                d.reason = Some(format!("{e} (--linked-only)"));
            } else {
                let counts = !policy.fixable_only || d.finding.fixed.is_some();
                let at_gate = policy.fail_on.is_none_or(|t| sev >= t);
                d.verdict = if counts && at_gate {
                    Verdict::Fail
                } else {
                    Verdict::Report
                };
            }
        }
        decisions.push(d);
    }

    let mut notices = entry_notices(entries, &used, today);
    notices.extend(unjustified(entries));
    let gate_failed = decisions.iter().any(|d| d.verdict == Verdict::Fail);
    Ok(PolicyOutcome {
        decisions,
        notices,
        gate_failed,
    })
}

/// The first live ignore entry that `names` the subject; every entry naming it, expired or
/// not, is marked in `used`.
fn ignored_by<'e>(
    entries: &'e [IgnoreEntry],
    used: &mut [bool],
    today: Date,
    names: impl Fn(&IgnoreEntry) -> bool,
) -> Option<&'e IgnoreEntry> {
    let mut first = None;
    for (i, e) in entries.iter().enumerate() {
        if !names(e) {
            continue;
        }
        if let Some(u) = used.get_mut(i) {
            *u = true;
        }
        if first.is_none() && !e.is_expired(today) {
            first = Some(e);
        }
    }
    first
}

fn ignore_reason(e: &IgnoreEntry) -> String {
    e.reason
        .clone()
        .unwrap_or_else(|| "no reason given".to_string())
}

/// `--severity`: why a subject of severity `sev` is filtered, `None` when it is not.
fn severity_filtered(policy: &Policy, sev: Severity) -> Option<String> {
    let set = policy.severities.as_ref().filter(|s| !s.contains(&sev))?;
    Some(format!("severity {sev} not in --severity {}", list(set)))
}

/// Expired entries (they no longer suppress) and entries `used` says matched nothing.
fn entry_notices(entries: &[IgnoreEntry], used: &[bool], today: Date) -> Vec<PolicyNotice> {
    let mut notices = Vec::new();
    for (e, &used) in entries.iter().zip(used) {
        if let Some(exp) = e.expires.filter(|_| e.is_expired(today)) {
            notices.push(PolicyNotice {
                kind: PolicyNoticeKind::Expired,
                source: e.source.clone(),
                id: e.id.clone(),
                message: format!(
                    "ignore entry `{}` expired on {exp}: it no longer suppresses{}",
                    e.id,
                    if used {
                        ""
                    } else {
                        " (and it matches no finding)"
                    }
                ),
            });
        } else if !used {
            notices.push(PolicyNotice {
                kind: PolicyNoticeKind::Unused,
                source: e.source.clone(),
                id: e.id.clone(),
                message: format!("ignore entry `{}` matches no finding: remove it?", e.id),
            });
        }
    }
    notices
}
