//! `trivy-json`: Trivy's JSON shape (`SchemaVersion` 2, `Results[].Vulnerabilities[]`), for
//! pipelines and policies written against it.
//!
//! One result per group of [`finding_groups`] (the OS packages, each lockfile or binary, the
//! per-package installs), reported findings only, as Trivy lists them. Several targets give a
//! JSON array of such documents. drydock's own schema (`--format json`) says more (verdicts,
//! coverage, every CVSS score); this one is for compatibility.

use std::collections::BTreeMap;

use drydock_match::FindingStatus;
use serde_json::{Map, Value, json};

use crate::group::finding_groups;
use crate::model::{Report, TargetReport, display_title, is_reported};

pub(crate) fn to_value(report: &Report) -> Value {
    let docs: Vec<Value> = report.targets.iter().map(|t| document(report, t)).collect();
    match <[Value; 1]>::try_from(docs) {
        Ok([one]) => one,
        Err(many) => Value::Array(many),
    }
}

fn status(s: FindingStatus) -> &'static str {
    match s {
        FindingStatus::Fixed => "fixed",
        FindingStatus::Unfixed => "affected",
        FindingStatus::WillNotFix => "will_not_fix",
        FindingStatus::Postponed => "fix_deferred",
        FindingStatus::EndOfLife => "end_of_life",
    }
}

/// Trivy's CVSS map key for a source (`nvd@nist.gov` → `nvd`).
fn cvss_key(source: &str) -> String {
    match source {
        "nvd@nist.gov" | "nvd" => "nvd".to_string(),
        s if s.contains("github") || s == "ghsa" => "ghsa".to_string(),
        s => s.to_string(),
    }
}

fn document(report: &Report, t: &TargetReport) -> Value {
    let artifact_type = match t.kind.as_str() {
        "directory" => "filesystem",
        "cyclonedx" | "spdx" => "cyclonedx",
        _ => "container_image",
    };
    let mut metadata = Map::new();
    if let Some(os) = &t.os {
        metadata.insert(
            "OS".into(),
            json!({ "Family": os.family.as_str(), "Name": os.version }),
        );
    }
    if let Some(d) = &t.digest {
        metadata.insert("ImageID".into(), json!(d));
    }
    let mut results = Vec::new();
    for g in finding_groups(t, false) {
        let (target, class) = if g.is_os() {
            let target = match &t.os {
                Some(os) => format!("{} ({} {})", t.name, os.family, os.version),
                None => t.name.clone(),
            };
            (target, "os-pkgs")
        } else {
            let target = match &g.path {
                Some(p) => p.clone(),
                None => g
                    .label
                    .rsplit_once(" (")
                    .map_or(g.label.as_str(), |(l, _)| l)
                    .to_string(),
            };
            (target, "lang-pkgs")
        };
        let vulns: Vec<Value> = g
            .findings
            .iter()
            .filter(|d| is_reported(d))
            .map(|d| {
                let f = &d.finding;
                let mut cvss: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
                for c in &f.cvss {
                    let entry = cvss.entry(cvss_key(&c.source)).or_default();
                    let (vk, sk) = match c.version.chars().next() {
                        Some('2') => ("V2Vector", "V2Score"),
                        Some('4') => ("V40Vector", "V40Score"),
                        _ => ("V3Vector", "V3Score"),
                    };
                    entry.entry(vk).or_insert_with(|| json!(c.vector));
                    entry.entry(sk).or_insert_with(|| json!(c.base_score));
                }
                let mut v = json!({
                    "VulnerabilityID": f.id,
                    "PkgID": format!("{}@{}", f.package, f.installed),
                    "PkgName": f.package,
                    "PkgIdentifier": { "PURL": f.purl },
                    "InstalledVersion": f.installed,
                    "Status": status(f.status),
                    "Severity": f.severity.as_str(),
                    "Title": display_title(f),
                    "References": f.references,
                    "CweIDs": f.cwes,
                    "CVSS": cvss,
                });
                if g.path.is_none()
                    && !g.is_os()
                    && let Some(l) = f.locations.first()
                {
                    v["PkgPath"] = json!(l.path);
                }
                if let Some(l) = f.locations.first().and_then(|l| l.layer.as_ref()) {
                    v["Layer"] = json!({ "DiffID": l });
                }
                let optional = [
                    ("FixedVersion", f.fixed.as_ref()),
                    ("Description", f.description.as_ref()),
                    ("PrimaryURL", f.primary_url.as_ref()),
                    ("PublishedDate", f.published.as_ref()),
                    ("LastModifiedDate", f.modified.as_ref()),
                ];
                for (k, val) in optional {
                    if let Some(val) = val {
                        v[k] = json!(val);
                    }
                }
                v
            })
            .collect();
        results.push(json!({
            "Target": target,
            "Class": class,
            "Type": g.kind,
            "Vulnerabilities": vulns,
        }));
    }
    json!({
        "SchemaVersion": 2,
        "CreatedAt": report.created_at,
        "ArtifactName": t.name,
        "ArtifactType": artifact_type,
        "Metadata": metadata,
        "Results": results,
    })
}
