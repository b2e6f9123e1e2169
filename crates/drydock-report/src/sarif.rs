//! `sarif`: SARIF 2.1.0, one run, for code-scanning tools.
//!
//! Shaped for GitHub code scanning: a rule per advisory id with `security-severity` (the CVSS
//! base score as a string) and a `security` tag, results only for reported findings, every
//! result with a physical location (the file the package was found in, relative to the image
//! root, with a file-level region) and `partialFingerprints` carrying drydock's stable finding
//! fingerprint, so an alert survives version bumps and rebuilds. The image name and digest ride
//! along as a logical location and in the result's properties.

use std::collections::BTreeMap;

use drydock_match::Finding;
use serde_json::{Value, json};

use crate::escape::uri_path;
use crate::model::{Report, TargetReport};
use crate::severity::{sarif_level, score_string, security_score};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The key under `partialFingerprints`; versioned so the scheme can change without clashing.
pub(crate) const FINGERPRINT_KEY: &str = "drydockFindingFingerprint/v1";

pub(crate) fn to_value(report: &Report) -> Value {
    // Rules: one per advisory id, described by the first finding that names it (findings are in
    // report order, so the most severe), scored by the highest score among them.
    let mut rules: BTreeMap<&str, (&Finding, f64)> = BTreeMap::new();
    for t in &report.targets {
        for d in t.reported() {
            let f = &d.finding;
            let score = security_score(f);
            rules
                .entry(f.id.as_str())
                .and_modify(|(_, s)| *s = s.max(score))
                .or_insert((f, score));
        }
    }
    let index: BTreeMap<&str, usize> = rules.keys().enumerate().map(|(i, k)| (*k, i)).collect();
    let rule_values: Vec<Value> = rules.values().map(|(f, score)| rule(f, *score)).collect();

    let mut results = Vec::new();
    for t in &report.targets {
        for d in t.reported() {
            let f = &d.finding;
            let rule_index = index.get(f.id.as_str()).copied().unwrap_or_default();
            results.push(result(t, f, rule_index));
        }
    }
    // Misconfigurations and secrets: their own rules (one per check id) after the advisories'.
    let (misconfig_rules, misconfig_index) =
        crate::misconfig::sarif_rules(report, rule_values.len());
    let mut rule_values = rule_values;
    rule_values.extend(misconfig_rules);
    for t in &report.targets {
        results.extend(crate::misconfig::sarif_results(
            t,
            &misconfig_index,
            FINGERPRINT_KEY,
        ));
    }

    let mut run = json!({
        "tool": {
            "driver": {
                "name": report.tool.name,
                "version": report.tool.version,
                "semanticVersion": report.tool.version,
                "informationUri": "https://example.invalid/drydock",
                "rules": rule_values,
            }
        },
        "results": results,
        "columnKind": "utf16CodeUnits",
        "invocations": [{
            "executionSuccessful": true,
            "startTimeUtc": report.created_at,
        }],
    });
    // A category per image, so uploads for several images do not replace each other's alerts.
    if let [only] = report.targets.as_slice() {
        run["automationDetails"] = json!({ "id": format!("drydock/{}/", only.name) });
    }
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [run],
    })
}

fn rule(f: &Finding, score: f64) -> Value {
    let title = match crate::model::display_title(f) {
        "" => f.id.clone(),
        t => t.to_string(),
    };
    let description = f.description.clone().unwrap_or_else(|| title.clone());
    let mut help_md = format!("**{}**\n\n{}", f.id, description);
    if let Some(url) = &f.primary_url {
        help_md.push_str(&format!("\n\n{url}"));
    }
    let mut rule = json!({
        "id": f.id,
        "name": rule_name(&f.id),
        "shortDescription": { "text": title },
        "fullDescription": { "text": description },
        "defaultConfiguration": { "level": sarif_level(f.severity) },
        "help": {
            "text": format!("{}: {}{}", f.id, description, f.primary_url.as_ref().map(|u| format!(" ({u})")).unwrap_or_default()),
            "markdown": help_md,
        },
        "properties": {
            "security-severity": score_string(score),
            "precision": "very-high",
            "tags": ["vulnerability", "security", f.severity.as_str()],
        },
    });
    if let Some(url) = &f.primary_url {
        rule["helpUri"] = json!(url);
    }
    rule
}

/// A rule's `name`: SARIF wants an identifier-like name; advisory ids (`CVE-2019-14697`) are
/// made of letters, digits and dashes, so dashes become underscores.
fn rule_name(id: &str) -> String {
    id.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

fn result(t: &TargetReport, f: &Finding, rule_index: usize) -> Value {
    let image = match &t.digest {
        Some(d) => format!("{}@{}", t.name, d),
        None => t.name.clone(),
    };
    let fixed = f.fixed.as_deref().unwrap_or("none");
    let text = format!(
        "{id} in {pkg} {installed} (fixed: {fixed}), severity {sev}, image {image}",
        id = f.id,
        pkg = f.package,
        installed = f.installed,
        sev = f.severity,
    );
    // The files the package was found in; the package entry's when the finding has none, the
    // target itself as a last resort (GitHub rejects results without a location).
    let mut paths: Vec<&str> = f.locations.iter().map(|l| l.path.as_str()).collect();
    if paths.is_empty()
        && let Some(p) = t.packages.iter().find(|p| p.purl == f.purl)
    {
        paths = p
            .package
            .locations
            .iter()
            .map(|l| l.path.as_str())
            .collect();
    }
    if paths.is_empty() {
        paths.push(t.name.as_str());
    }
    paths.dedup();
    let mut logical = json!({ "name": t.name, "kind": "module" });
    logical["fullyQualifiedName"] = json!(image);
    let locations: Vec<Value> = paths
        .iter()
        .map(|p| {
            json!({
                "physicalLocation": {
                    "artifactLocation": { "uri": uri_path(p) },
                    "region": { "startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 1 },
                },
                "logicalLocations": [logical.clone()],
                "message": { "text": format!("{} {} in {}", f.package, f.installed, image) },
            })
        })
        .collect();
    let mut props = json!({
        "imageName": t.name,
        "package": f.package,
        "ecosystem": f.ecosystem.as_str(),
        "installedVersion": f.installed,
        "purl": f.purl,
        "status": f.status.as_str(),
        "severity": f.severity.as_str(),
    });
    if let Some(d) = &t.digest {
        props["imageDigest"] = json!(d);
    }
    if let Some(fx) = &f.fixed {
        props["fixedVersion"] = json!(fx);
    }
    if let Some(layer) = f.locations.iter().find_map(|l| l.layer.as_deref()) {
        props["layerDiffId"] = json!(layer);
    }
    if let Some(e) = &f.evidence {
        props["reachability"] = json!(e);
    }
    json!({
        "ruleId": f.id,
        "ruleIndex": rule_index,
        "level": sarif_level(f.severity),
        "message": { "text": text },
        "locations": locations,
        "partialFingerprints": { FINGERPRINT_KEY: f.fingerprint },
        "properties": props,
    })
}
