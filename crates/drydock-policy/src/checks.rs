//! Misconfigurations and secrets (`--scanners misconfig,secret`) through the same policy as
//! vulnerabilities: ignore-file entries, `--severity`, `--fail-on`.

use drydock_match::Severity;
use serde::{Deserialize, Serialize};

use crate::decision::{PolicyNotice, PolicyNoticeKind, Verdict};
use crate::ignore::IgnoreEntry;
use crate::{Date, Policy, entry_notices, ignore_reason, ignored_by, severity_filtered};

/// A misconfiguration or secret as the policy sees it (drydock-misconfig's finding, without
/// making this crate depend on the checks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckSubject {
    /// The check id (`DD-101`).
    pub id: String,
    /// Other ids an ignore file may name it by: the peer tools' (`DS-0002`, `AVD-DS-0002`,
    /// `DS002` for Trivy's DS-0002).
    pub aliases: Vec<String>,
    /// The finding's stable fingerprint.
    pub fingerprint: String,
    /// The file it was seen in (a Dockerfile, a path in the image, no leading `/`); `None` for
    /// the image config and history.
    pub path: Option<String>,
    /// On the vulnerability scale (INFO as UNKNOWN).
    pub severity: Severity,
}

/// What policy made of a [`CheckSubject`]: the fields a [`crate::Decision`] has besides its
/// finding, with the same meanings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckVerdict {
    pub verdict: Verdict,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub suppressed_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub expires: Option<String>,
}

impl IgnoreEntry {
    /// Does the entry name this misconfiguration or secret (whatever its expiry)? Its id is
    /// the check id, a peer id or the fingerprint; `fingerprint:` narrows it to one finding,
    /// `path:` to a file or directory; an entry with package patterns never matches.
    pub fn matches_check(&self, c: &CheckSubject) -> bool {
        let id = self.id.trim();
        let id_ok = std::iter::once(&c.id)
            .chain(&c.aliases)
            .chain(std::iter::once(&c.fingerprint))
            .any(|i| i.eq_ignore_ascii_case(id));
        let fingerprint_ok = self
            .fingerprint
            .as_deref()
            .is_none_or(|f| f.trim().eq_ignore_ascii_case(&c.fingerprint));
        let path_ok = self.paths.is_empty()
            || c.path.as_deref().is_some_and(|p| {
                self.paths
                    .iter()
                    .any(|pat| crate::pattern::path(pat, p.trim_start_matches('/')))
            });
        id_ok && fingerprint_ok && path_ok && self.packages.is_empty()
    }
}

/// Applies `policy` to misconfigurations and secrets as [`crate::decide`] does to
/// vulnerabilities: a live ignore entry naming one suppresses it (reason, `suppressed_by`,
/// expiry), `--severity` filters it, the rest fail the gate at or above `--fail-on` (all of
/// them without it; `--fixable-only` does not apply: every check has a fix). VEX and
/// `--ignore-unfixed` are about advisories and do not apply.
///
/// `notices` are those [`crate::decide`] gave for the same policy: entries it called unused
/// that name one of these findings are no longer reported unused.
pub fn decide_checks(
    checks: &[CheckSubject],
    policy: &Policy,
    today: Date,
    notices: &mut Vec<PolicyNotice>,
) -> Vec<CheckVerdict> {
    let entries: &[IgnoreEntry] = policy.ignore.as_ref().map_or(&[], |f| &f.entries);
    let mut used = vec![false; entries.len()];
    let verdicts = checks
        .iter()
        .map(|c| {
            if let Some(e) = ignored_by(entries, &mut used, today, |e| e.matches_check(c)) {
                return CheckVerdict {
                    verdict: Verdict::Suppressed,
                    reason: Some(ignore_reason(e)),
                    suppressed_by: Some(e.source.clone()),
                    expires: e.expires.map(|x| x.to_string()),
                };
            }
            let (verdict, reason) = match severity_filtered(policy, c.severity) {
                Some(why) => (Verdict::Filtered, Some(why)),
                None if policy.fail_on.is_none_or(|t| c.severity >= t) => (Verdict::Fail, None),
                None => (Verdict::Report, None),
            };
            CheckVerdict {
                verdict,
                reason,
                suppressed_by: None,
                expires: None,
            }
        })
        .collect();
    // The entries these findings used: their notices as for a used entry.
    for (e, _) in entries.iter().zip(&used).filter(|(_, u)| **u) {
        notices.retain(|n| {
            !(n.source == e.source
                && n.id == e.id
                && matches!(n.kind, PolicyNoticeKind::Unused | PolicyNoticeKind::Expired))
        });
        notices.extend(entry_notices(std::slice::from_ref(e), &[true], today));
    }
    verdicts
}
