//! `--scanners vuln,misconfig,secret`: which scanners run, and the policy for
//! misconfiguration and secret results (the same `--severity`, `--fail-on` and ignore file
//! as vulnerabilities).

use std::path::PathBuf;

use drydock_misconfig::MisconfigFinding;
use drydock_policy::{Date, Policy, PolicyNotice};
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

/// Verdicts for misconfiguration and secret findings by the policy vulnerabilities follow
/// ([`drydock_policy::decide_checks`]): an ignore entry naming the check id, a Trivy peer id
/// (`DS002`, `AVD-DS-0002`) or the fingerprint suppresses (`path:` and `fingerprint:` narrow
/// it); `--severity` filters (INFO counts as UNKNOWN); the rest fail the gate at or above
/// `--fail-on`. Ignore entries used only by these findings are no longer reported unused in
/// `notices`.
pub(crate) fn decide(
    findings: Vec<MisconfigFinding>,
    policy: &Policy,
    today: Date,
    notices: &mut Vec<PolicyNotice>,
) -> Vec<MisconfigEntry> {
    let subjects: Vec<_> = findings.iter().map(MisconfigEntry::subject).collect();
    let verdicts = drydock_policy::decide_checks(&subjects, policy, today, notices);
    findings
        .into_iter()
        .zip(verdicts)
        .map(|(finding, policy)| MisconfigEntry { finding, policy })
        .collect()
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
