//! `--scanners vuln,misconfig,secret`: which scanners run, and the policy for
//! misconfiguration and secret results (the same `--severity`, `--fail-on` and ignore file
//! as vulnerabilities).

use std::path::PathBuf;

use drydock_misconfig::MisconfigFinding;
use drydock_policy::{Date, Policy, PolicyNotice, PolicyNoticeKind, Verdict};
use drydock_report::MisconfigEntry;

/// Which scanners run. The default is vulnerabilities only (Trivy's default for images too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scanners {
    pub vuln: bool,
    pub misconfig: bool,
    pub secret: bool,
}

impl Default for Scanners {
    fn default() -> Self {
        Scanners {
            vuln: true,
            misconfig: false,
            secret: false,
        }
    }
}

impl Scanners {
    /// Reads `--scanners` values (already split at commas): `vuln` (`vulnerability`),
    /// `misconfig` (Trivy's `config`), `secret`, `all`. An empty list is the default.
    pub fn parse(values: &[String]) -> Result<Scanners, String> {
        let mut s = Scanners {
            vuln: false,
            misconfig: false,
            secret: false,
        };
        let mut any = false;
        for v in values {
            match v.trim().to_ascii_lowercase().as_str() {
                "" => continue,
                "vuln" | "vulnerability" => s.vuln = true,
                "misconfig" | "config" => s.misconfig = true,
                "secret" => s.secret = true,
                "all" => {
                    s = Scanners {
                        vuln: true,
                        misconfig: true,
                        secret: true,
                    }
                }
                "license" => {
                    return Err("`license`: drydock does not check licences (the SBOM lists them: `drydock sbom`)".into());
                }
                other => {
                    return Err(format!(
                        "unknown scanner `{other}` (one of `vuln`, `misconfig`, `secret`, `all`)"
                    ));
                }
            }
            any = true;
        }
        Ok(if any { s } else { Scanners::default() })
    }

    /// Whether the misconfiguration or secret checks run (they share the layer walk).
    pub fn checks(&self) -> bool {
        self.misconfig || self.secret
    }
}

/// What the misconfiguration and secret checks need beyond the target.
#[derive(Debug, Clone, Default)]
pub struct CheckSettings {
    /// `--dockerfile`: the Dockerfile the image was built from, checked with it.
    pub dockerfile: Option<PathBuf>,
    /// Bounds on what the secret checks read (`None`: the defaults, 1 MiB a file, 256 MiB).
    pub limits: Option<drydock_misconfig::FileLimits>,
}

/// Verdicts for misconfiguration and secret findings, by the rules vulnerabilities follow:
/// - an ignore-file entry whose id is the check id (and whose paths, if any, match the
///   evidence's file) suppresses it — package patterns never match these findings;
/// - `--severity` filters it (INFO counts as UNKNOWN);
/// - otherwise it fails the gate at or above `--fail-on` (every reported one without it);
///   `--fixable-only` does not apply (every check has a fix).
///
/// Ignore entries used only by these findings are no longer reported unused in `notices`.
pub(crate) fn decide(
    findings: Vec<MisconfigFinding>,
    policy: &Policy,
    today: Date,
    notices: &mut Vec<PolicyNotice>,
) -> Vec<MisconfigEntry> {
    let entries = policy.ignore.as_ref().map_or(&[][..], |f| &f.entries[..]);
    let mut used = vec![false; entries.len()];
    let mut out = Vec::with_capacity(findings.len());
    for finding in findings {
        let mut e = MisconfigEntry {
            finding,
            verdict: Verdict::Report,
            reason: None,
        };
        let sev = e.severity();
        let path = e.path().map(|p| p.trim_start_matches('/').to_string());
        for (i, entry) in entries.iter().enumerate() {
            let id_ok = entry.id.trim().eq_ignore_ascii_case(&e.finding.id);
            let path_ok = entry.paths.is_empty()
                || path.as_deref().is_some_and(|p| {
                    entry.paths.iter().any(|pat| {
                        let pat = pat.trim_start_matches('/').trim_end_matches('/');
                        p == pat || p.starts_with(&format!("{pat}/"))
                    })
                });
            if !(id_ok && entry.packages.is_empty() && path_ok) {
                continue;
            }
            used[i] = true;
            if e.verdict != Verdict::Suppressed && !entry.is_expired(today) {
                e.verdict = Verdict::Suppressed;
                e.reason =
                    Some(entry.reason.clone().unwrap_or_else(|| {
                        format!("listed in `{}` (no reason given)", entry.source)
                    }));
            }
        }
        if e.verdict != Verdict::Suppressed {
            if let Some(set) = policy.severities.as_ref().filter(|s| !s.contains(&sev)) {
                let list: Vec<&str> = set.iter().rev().map(|s| s.as_str()).collect();
                e.verdict = Verdict::Filtered;
                e.reason = Some(format!(
                    "severity {} not in --severity {}",
                    sev.as_str(),
                    list.join(",")
                ));
            } else if policy.fail_on.is_none_or(|t| sev >= t) {
                e.verdict = Verdict::Fail;
            }
        }
        out.push(e);
    }
    // The vulnerability policy called these entries unused: they were not.
    notices.retain(|n| {
        n.kind != PolicyNoticeKind::Unused
            || !entries
                .iter()
                .zip(&used)
                .any(|(e, u)| *u && e.source == n.source && e.id == n.id)
    });
    out
}

/// Splits checked findings into misconfigurations and secrets.
pub(crate) fn split(entries: Vec<MisconfigEntry>) -> (Vec<MisconfigEntry>, Vec<MisconfigEntry>) {
    entries
        .into_iter()
        .partition(|e| !drydock_misconfig::is_secret_check(&e.finding.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scanners_accept_trivy_spellings() {
        let p = |v: &[&str]| Scanners::parse(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(p(&[]), Ok(Scanners::default()));
        let s = p(&["vuln", "config", "secret"]).expect("valid");
        assert!(s.vuln && s.misconfig && s.secret);
        let s = p(&["misconfig"]).expect("valid");
        assert!(!s.vuln && s.misconfig && !s.secret);
        assert_eq!(p(&["all"]), p(&["vuln", "misconfig", "secret"]));
        assert!(p(&["license"]).is_err());
        assert!(p(&["rbac"]).is_err_and(|e| e.contains("rbac")));
    }
}
