//! `trivy-json`: Trivy's JSON shape (`SchemaVersion` 2, `Results[].Vulnerabilities[]`), for
//! pipelines and policies written against it.
//!
//! One result per group of [`finding_groups`] (the OS packages, each lockfile or binary, the
//! per-package installs), reported findings only, as Trivy lists them. Several targets give a
//! JSON array of such documents. drydock's own schema (`--format json`) says more (verdicts,
//! coverage, every CVSS score); this one is for compatibility.
//!
//! Misconfigurations and secrets (`--scanners misconfig,secret`) come as Trivy puts them, with
//! its field names: results of `Class` `config` (`Type` `dockerfile`; one per Dockerfile, one
//! for the image's config, history and files) with `MisconfSummary` and
//! `Misconfigurations[]` (`Type`, `ID`, `Title`, `Description`, `Message`, `Namespace`,
//! `Resolution`, `Severity`, `References`, `Status`, `CauseMetadata` with the Dockerfile lines,
//! `Layer`), and results of `Class` `secret`, one per file (`/etc/app.env`; the Dockerfile;
//! the image name for its config and history), with `Secrets[]` (`RuleID`, `Category`,
//! `Severity`, `Title`, `StartLine`, `EndLine`, `Code`, `Match`, `Layer`). IDs are drydock's
//! check ids (`DD-101`), not Trivy's; `Match` and `Code` hold the masked value only;
//! `MisconfSummary.Successes` is 0 (drydock does not count passed checks).

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
    results.extend(check_results(t));
    json!({
        "SchemaVersion": 2,
        "CreatedAt": report.created_at,
        "ArtifactName": t.name,
        "ArtifactType": artifact_type,
        "Metadata": metadata,
        "Results": results,
    })
}

/// The `Layer` object of a finding seen in a layer file: its blob digest, diff ID and the
/// history entry that made it, as far as the report knows them.
fn layer_of(t: &TargetReport, index: Option<usize>, digest: Option<&String>) -> Value {
    let summary = t
        .layers
        .iter()
        .find(|l| Some(l.index) == index || (digest.is_some() && l.digest.as_ref() == digest));
    let mut layer = Map::new();
    if let Some(d) = digest.or(summary.and_then(|l| l.digest.as_ref())) {
        layer.insert("Digest".into(), json!(d));
    }
    if let Some(l) = summary {
        if let Some(d) = &l.diff_id {
            layer.insert("DiffID".into(), json!(d));
        }
        if let Some(c) = &l.created_by {
            layer.insert("CreatedBy".into(), json!(c));
        }
    }
    Value::Object(layer)
}

/// `Code.Lines` for a cause of one line range and one (masked) snippet.
fn code(line: usize, snippet: &str) -> Value {
    json!({ "Lines": [{
        "Number": line,
        "Content": snippet,
        "IsCause": true,
        "Annotation": "",
        "Truncated": false,
        "FirstCause": true,
        "LastCause": true,
    }] })
}

/// The `config` and `secret` results of a target's reported misconfigurations and secrets.
fn check_results(t: &TargetReport) -> Vec<Value> {
    use drydock_misconfig::Evidence;
    let mut configs: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut secrets: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for e in crate::misconfig::reported(t) {
        let f = &e.finding;
        let check = drydock_misconfig::CHECKS.iter().find(|c| c.id == f.id);
        let severity = e.severity().as_str();
        let (target, start, end, snippet, layer) = match &f.evidence {
            Evidence::Dockerfile {
                path,
                line,
                end_line,
                snippet,
            } => (
                path.clone(),
                *line,
                (*end_line).max(*line),
                Some(snippet.as_str()),
                None,
            ),
            Evidence::Layer {
                layer,
                digest,
                path,
                line,
                snippet,
            } => (
                format!("/{}", path.trim_start_matches('/')),
                line.unwrap_or(0),
                line.unwrap_or(0),
                snippet.as_deref(),
                Some(layer_of(t, *layer, digest.as_ref())),
            ),
            Evidence::Config { value, .. } => (t.name.clone(), 0, 0, Some(value.as_str()), None),
            Evidence::History { created_by, .. } => {
                (t.name.clone(), 0, 0, Some(created_by.as_str()), None)
            }
        };
        if drydock_misconfig::is_secret_check(&f.id) {
            let mut v = json!({
                "RuleID": f.id,
                "Category": check.map_or(f.id.as_str(), |c| c.title),
                "Severity": severity,
                "Title": f.title,
                "StartLine": start,
                "EndLine": end,
                "Match": snippet.unwrap_or(""),
            });
            if let Some(s) = snippet {
                v["Code"] = code(start, s);
            }
            if let Some(l) = layer {
                v["Layer"] = l;
            }
            secrets.entry(target).or_default().push(v);
        } else {
            let dockerfile = matches!(f.evidence, Evidence::Dockerfile { .. });
            let mut cause = json!({
                "Provider": if dockerfile { "Dockerfile" } else { "Image" },
                "Service": "general",
            });
            if dockerfile && let Some(s) = snippet {
                cause["StartLine"] = json!(start);
                cause["EndLine"] = json!(end);
                cause["Code"] = code(start, s);
            }
            let mut v = json!({
                "Type": if matches!(f.evidence, Evidence::Layer { .. }) {
                    "Image File Check"
                } else {
                    "Dockerfile Security Check"
                },
                "ID": f.id,
                "Title": check.map_or(f.title.as_str(), |c| c.title),
                "Description": check.map_or("", |c| c.rationale),
                "Message": format!("{} ({})", f.title, f.evidence.location()),
                "Namespace": format!("drydock.{}", f.id),
                "Resolution": f.fix,
                "Severity": severity,
                "References": [],
                "Status": "FAIL",
                "CauseMetadata": cause,
            });
            if let Some(l) = layer {
                v["Layer"] = l;
            }
            configs.entry(target).or_default().push(v);
        }
    }
    let mut out: Vec<Value> = configs
        .into_iter()
        .map(|(target, list)| {
            json!({
                "Target": target,
                "Class": "config",
                "Type": "dockerfile",
                "MisconfSummary": { "Successes": 0, "Failures": list.len() },
                "Misconfigurations": list,
            })
        })
        .collect();
    out.extend(
        secrets
            .into_iter()
            .map(|(target, list)| json!({ "Target": target, "Class": "secret", "Secrets": list })),
    );
    out
}
