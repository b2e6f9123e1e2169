//! Misconfiguration and secret results in a report (`drydock image --scanners
//! vuln,misconfig,secret`): the entry model and their SARIF rules and results. The table
//! writer prints them in their own sections after the vulnerabilities.

use std::collections::BTreeMap;

use drydock_match::Severity;
use drydock_misconfig::{Evidence, MisconfigFinding};
use drydock_policy::{CheckVerdict, Verdict};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::escape::uri_path;
use crate::model::{Report, TargetReport};
use crate::severity::sarif_level;

/// One misconfiguration or secret with its verdict: `fail` and `report` are shown,
/// `filtered` (`--severity`) and `suppressed` (an ignore-file entry naming the check id, a
/// peer id or the fingerprint; a triage record) are kept in JSON with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MisconfigEntry {
    #[serde(flatten)]
    pub finding: MisconfigFinding,
    /// The verdict, and why: `reason`, `suppressed_by` (`.trivyignore:3`, `triage #4`) and
    /// `expires`, as a vulnerability's decision has them.
    #[serde(flatten)]
    pub policy: CheckVerdict,
}

impl MisconfigEntry {
    /// The severity on the vulnerability scale `--severity` and `--fail-on` read: INFO counts
    /// as UNKNOWN, the others by name.
    pub fn severity(&self) -> Severity {
        severity_of(&self.finding)
    }

    /// The finding as the policy sees it ([`drydock_policy::decide_checks`]): its id, the
    /// Trivy ids of its check, fingerprint, file and severity.
    pub fn subject(finding: &MisconfigFinding) -> drydock_policy::CheckSubject {
        let path = path_of(finding).map(|p| p.trim_start_matches('/').to_string());
        drydock_policy::CheckSubject {
            id: finding.id.clone(),
            aliases: drydock_misconfig::catalog::check(&finding.id)
                .map(|c| c.aliases())
                .unwrap_or_default(),
            fingerprint: finding.fingerprint.clone(),
            path,
            severity: severity_of(finding),
        }
    }

    /// Shown in the table and SARIF (verdict `fail` or `report`).
    pub fn is_reported(&self) -> bool {
        matches!(self.policy.verdict, Verdict::Fail | Verdict::Report)
    }

    /// The file the finding is about: the Dockerfile, the layer file, else `None` (config
    /// and history findings are about the image itself).
    pub fn path(&self) -> Option<&str> {
        path_of(&self.finding)
    }
}

fn path_of(f: &MisconfigFinding) -> Option<&str> {
    match &f.evidence {
        Evidence::Dockerfile { path, .. } | Evidence::Layer { path, .. } => Some(path),
        Evidence::Config { .. } | Evidence::History { .. } => None,
    }
}

/// A misconfiguration severity on the vulnerability scale (INFO → UNKNOWN).
pub fn severity_of(f: &MisconfigFinding) -> Severity {
    vuln_scale(f.severity)
}

fn vuln_scale(s: drydock_misconfig::Severity) -> Severity {
    match s {
        drydock_misconfig::Severity::Info => Severity::Unknown,
        drydock_misconfig::Severity::Low => Severity::Low,
        drydock_misconfig::Severity::Medium => Severity::Medium,
        drydock_misconfig::Severity::High => Severity::High,
        drydock_misconfig::Severity::Critical => Severity::Critical,
    }
}

/// Every reported misconfiguration and secret of a target, misconfigurations first.
pub(crate) fn reported(t: &TargetReport) -> impl Iterator<Item = &MisconfigEntry> {
    t.misconfigurations
        .iter()
        .chain(&t.secrets)
        .filter(|e| e.is_reported())
}

/// SARIF rules, one per check id (described by the catalog), after `first_index` rules.
pub(crate) fn sarif_rules(
    report: &Report,
    first_index: usize,
) -> (Vec<Value>, BTreeMap<String, usize>) {
    let mut worst: BTreeMap<&str, drydock_misconfig::Severity> = BTreeMap::new();
    for t in &report.targets {
        for e in reported(t) {
            worst
                .entry(e.finding.id.as_str())
                .and_modify(|s| *s = (*s).max(e.finding.severity))
                .or_insert(e.finding.severity);
        }
    }
    let mut index = BTreeMap::new();
    let mut rules = Vec::new();
    for (i, (id, sev)) in worst.into_iter().enumerate() {
        index.insert(id.to_string(), first_index + i);
        let check = drydock_misconfig::CHECKS.iter().find(|c| c.id == id);
        let title = check.map_or(id, |c| c.title);
        let why = check.map_or(title, |c| c.rationale);
        let fix = check.map_or("", |c| c.fix);
        let kind = if drydock_misconfig::is_secret_check(id) {
            "secret"
        } else {
            "misconfiguration"
        };
        let vuln_sev = vuln_scale(sev);
        rules.push(json!({
            "id": id,
            "name": id.replace('-', "_"),
            "shortDescription": { "text": title },
            "fullDescription": { "text": why },
            "defaultConfiguration": { "level": sarif_level(vuln_sev) },
            "help": {
                "text": format!("{id}: {why} Fix: {fix}"),
                "markdown": format!("**{id}** — {title}\n\n{why}\n\n**Fix:** {fix}"),
            },
            "properties": {
                "security-severity": sev.security_severity(),
                "precision": "high",
                "tags": [kind, "security", sev.as_str()],
            },
        }));
    }
    (rules, index)
}

/// SARIF results for a target's reported misconfigurations and secrets. A Dockerfile result
/// points at its lines, a layer file at its path (and line when known), config and history
/// results at the image (GitHub wants a location on every result).
pub(crate) fn sarif_results(
    t: &TargetReport,
    index: &BTreeMap<String, usize>,
    fingerprint_key: &str,
) -> Vec<Value> {
    let image = match &t.digest {
        Some(d) => format!("{}@{}", t.name, d),
        None => t.name.clone(),
    };
    let logical = json!({ "name": t.name, "kind": "module", "fullyQualifiedName": image });
    reported(t)
        .map(|e| {
            let f = &e.finding;
            let (uri, start, end) = match &f.evidence {
                Evidence::Dockerfile {
                    path,
                    line,
                    end_line,
                    ..
                } => (path.clone(), *line, (*end_line).max(*line)),
                Evidence::Layer { path, line, .. } => {
                    (path.clone(), line.unwrap_or(1), line.unwrap_or(1))
                }
                Evidence::Config { .. } | Evidence::History { .. } => (t.name.clone(), 1, 1),
            };
            let mut props = json!({
                "imageName": t.name,
                "severity": f.severity.as_str(),
                "evidence": f.evidence,
            });
            if let Some(d) = &t.digest {
                props["imageDigest"] = json!(d);
            }
            json!({
                "ruleId": f.id,
                "ruleIndex": index.get(&f.id).copied().unwrap_or_default(),
                "level": sarif_level(e.severity()),
                "message": { "text": format!("{}: {} ({}), image {image}", f.id, f.title, f.evidence.location()) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri_path(&uri) },
                        "region": { "startLine": start.max(1), "endLine": end.max(1) },
                    },
                    "logicalLocations": [logical.clone()],
                }],
                "partialFingerprints": { fingerprint_key: f.fingerprint },
                "properties": props,
            })
        })
        .collect()
}

/// `misconfiguration` or `secret`: the `kind` column and property every format writes.
pub(crate) fn kind_name(e: &MisconfigEntry) -> &'static str {
    if drydock_misconfig::is_secret_check(&e.finding.id) {
        "secret"
    } else {
        "misconfiguration"
    }
}

/// How many entries of a target are neither failed nor reported (the "not shown" line).
pub(crate) fn hidden(t: &TargetReport) -> usize {
    t.misconfigurations
        .iter()
        .chain(&t.secrets)
        .filter(|e| !e.is_reported())
        .count()
}

/// The verdict as a reader sees it: `fail`, `suppressed: reason`.
pub(crate) fn verdict_text(e: &MisconfigEntry) -> String {
    let mut s = crate::model::serde_name(&e.policy.verdict);
    if !e.is_reported()
        && let Some(r) = &e.policy.reason
    {
        s.push_str(": ");
        s.push_str(r);
    }
    s
}

/// The two sections a human format shows, with their entries (empty ones left out).
pub(crate) fn sections<'a>(
    t: &'a TargetReport,
    show_suppressed: bool,
) -> Vec<(&'static str, Vec<&'a MisconfigEntry>)> {
    let pick = |list: &'a [MisconfigEntry]| -> Vec<&'a MisconfigEntry> {
        list.iter()
            .filter(|e| show_suppressed || e.is_reported())
            .collect()
    };
    [
        ("Misconfigurations", pick(&t.misconfigurations)),
        ("Secrets", pick(&t.secrets)),
    ]
    .into_iter()
    .filter(|(_, list)| !list.is_empty())
    .collect()
}

/// `HIGH 2, LOW 1`: reported entries per severity, highest first, zero counts left out.
pub(crate) fn counts_text(list: &[&MisconfigEntry]) -> String {
    let mut counts: BTreeMap<drydock_misconfig::Severity, usize> = BTreeMap::new();
    for e in list.iter().filter(|e| e.is_reported()) {
        *counts.entry(e.finding.severity).or_default() += 1;
    }
    crate::markdown::counts_text(&counts)
}
