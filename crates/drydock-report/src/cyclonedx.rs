//! `cyclonedx`: CycloneDX 1.6 JSON.
//!
//! One target: `metadata.component` is the image (`container`), `components` its packages.
//! Several targets: each image is a `container` component. Packages are components with
//! `bom-ref` = purl (deduplicated across targets), their layers and paths as properties, and
//! `dependencies` say which image holds which package. Vulnerability reports add
//! `vulnerabilities`: one entry per reported or suppressed finding (filtered ones are left
//! out), suppressed ones with `analysis.state = not_affected` and the reason.
//!
//! Misconfigurations and secrets (`--scanners misconfig,secret`) are `vulnerabilities` too:
//! CycloneDX 1.6 has no other place for a weakness of the image itself. Each has the check id,
//! source `drydock`, one rating (the check's severity, method `other`), the title as
//! `description`, the check's rationale as `detail`, the fix hint as `recommendation`, and
//! `affects` the image component; properties `drydock:kind` (`misconfiguration` or `secret`),
//! `drydock:location` and `drydock:fingerprint` say what and where.

use std::collections::BTreeMap;

use drydock_match::Finding;
use drydock_policy::{Decision, Verdict};
use serde_json::{Value, json};

use crate::misconfig::MisconfigEntry;
use crate::model::{PackageEntry, Report, ReportKind, TargetReport, report_uuid};
use crate::severity::{cyclonedx_method, cyclonedx_severity};

pub(crate) fn to_value(report: &Report) -> Value {
    let single = report.targets.len() == 1;
    let mut components: Vec<Value> = Vec::new();
    let mut dependencies: Vec<Value> = Vec::new();
    // Packages by purl over all targets, each with the (target, entry) pairs it came from.
    let mut packages: BTreeMap<&str, Vec<(&TargetReport, &PackageEntry)>> = BTreeMap::new();
    for t in &report.targets {
        for p in &t.packages {
            packages.entry(p.purl.as_str()).or_default().push((t, p));
        }
    }
    let mut os_components: BTreeMap<String, Value> = BTreeMap::new();
    for t in &report.targets {
        if !single {
            components.push(container(t));
        }
        let mut depends: Vec<String> = t.packages.iter().map(|p| p.purl.clone()).collect();
        if let Some(os) = &t.os {
            let r = os_ref(t);
            os_components.entry(r.clone()).or_insert_with(|| {
                json!({
                    "type": "operating-system",
                    "bom-ref": r,
                    "name": os.family.as_str(),
                    "version": os.version,
                })
            });
            depends.push(r);
        }
        depends.sort();
        depends.dedup();
        dependencies.push(json!({ "ref": target_ref(t), "dependsOn": depends }));
    }
    components.extend(os_components.into_values());
    for (purl, seen) in &packages {
        components.push(component(purl, seen));
    }
    for purl in packages.keys() {
        dependencies.push(json!({ "ref": purl }));
    }
    let mut metadata = json!({
        "timestamp": report.created_at,
        "tools": {
            "components": [{
                "type": "application",
                "name": report.tool.name,
                "version": report.tool.version,
            }]
        },
    });
    if let [only] = report.targets.as_slice() {
        metadata["component"] = container(only);
    }
    let mut bom = json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": format!("urn:uuid:{}", report_uuid(report, "cyclonedx")),
        "version": 1,
        "metadata": metadata,
        "components": components,
        "dependencies": dependencies,
    });
    if report.kind == ReportKind::Vulnerability {
        let vulns: Vec<Value> = report
            .targets
            .iter()
            .flat_map(|t| {
                t.findings
                    .iter()
                    .filter(|d| {
                        matches!(
                            d.verdict,
                            Verdict::Fail | Verdict::Report | Verdict::Suppressed
                        )
                    })
                    .map(move |d| vulnerability(t, d))
            })
            .collect();
        let mut vulns = vulns;
        let mut refs: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
        for t in &report.targets {
            for e in t.misconfigurations.iter().chain(&t.secrets) {
                if matches!(
                    e.policy.verdict,
                    Verdict::Fail | Verdict::Report | Verdict::Suppressed
                ) {
                    vulns.push(check(t, e, &mut refs));
                }
            }
        }
        bom["vulnerabilities"] = json!(vulns);
    }
    bom
}

fn target_ref(t: &TargetReport) -> String {
    format!("target:{}", t.name)
}

fn os_ref(t: &TargetReport) -> String {
    match &t.os {
        Some(os) => format!("os:{}@{}", os.family, os.version),
        None => String::new(),
    }
}

fn container(t: &TargetReport) -> Value {
    let mut props = vec![prop("drydock:target:kind", &t.kind)];
    if let Some(d) = &t.digest {
        props.push(prop("drydock:image:digest", d));
    }
    if let Some(p) = &t.platform {
        props.push(prop("drydock:image:platform", p));
    }
    for l in &t.layers {
        if let Some(diff_id) = &l.diff_id {
            props.push(prop("drydock:image:layer:diff_id", diff_id));
        }
    }
    let kind = if t.kind == "directory" {
        "file"
    } else {
        "container"
    };
    let mut c = json!({
        "type": kind,
        "bom-ref": target_ref(t),
        "name": t.name,
        "properties": props,
    });
    if let Some(d) = &t.digest {
        c["version"] = json!(d);
    }
    c
}

fn component(purl: &str, seen: &[(&TargetReport, &PackageEntry)]) -> Value {
    let Some((_, first)) = seen.first() else {
        return json!({ "type": "library", "bom-ref": purl, "name": purl, "purl": purl });
    };
    let pkg = &first.package;
    let mut props = vec![prop("drydock:package:ecosystem", pkg.ecosystem.as_str())];
    if let Some(src) = &pkg.source {
        props.push(prop("drydock:package:source_name", &src.name));
        if let Some(v) = &src.version {
            props.push(prop("drydock:package:source_version", v));
        }
    }
    let mut locations: Vec<(&str, &str)> = Vec::new();
    for (_, p) in seen {
        for l in &p.package.locations {
            locations.push((l.layer.as_deref().unwrap_or(""), l.path.as_str()));
        }
    }
    locations.sort();
    locations.dedup();
    for (layer, path) in locations {
        if !layer.is_empty() {
            props.push(prop("drydock:layer:diff_id", layer));
        }
        props.push(prop("drydock:package:path", path));
    }
    let mut c = json!({
        "type": "library",
        "bom-ref": purl,
        "name": pkg.name,
        "version": pkg.version,
        "purl": purl,
        "properties": props,
    });
    if !pkg.licenses.is_empty() {
        let licenses: Vec<Value> = pkg
            .licenses
            .iter()
            .map(|l| json!({ "license": { "name": l } }))
            .collect();
        c["licenses"] = json!(licenses);
    }
    c
}

fn prop(name: &str, value: &str) -> Value {
    json!({ "name": name, "value": value })
}

fn vulnerability(t: &TargetReport, d: &Decision) -> Value {
    let f: &Finding = &d.finding;
    let mut ratings: Vec<Value> = f
        .cvss
        .iter()
        .map(|c| {
            json!({
                "source": { "name": c.source },
                "score": c.base_score,
                "severity": cyclonedx_severity(c.base_severity),
                "method": cyclonedx_method(&c.version),
                "vector": c.vector,
            })
        })
        .collect();
    // The severity drydock reports, with its source, when no CVSS statement carries it.
    if !f.cvss.iter().any(|c| c.base_severity == f.severity) {
        ratings.push(json!({
            "source": { "name": severity_source_name(f) },
            "severity": cyclonedx_severity(f.severity),
            "method": "other",
        }));
    }
    let cwes: Vec<u64> = f
        .cwes
        .iter()
        .filter_map(|c| c.trim().strip_prefix("CWE-").and_then(|n| n.parse().ok()))
        .collect();
    let mut v = json!({
        "bom-ref": format!("finding:{}", f.fingerprint),
        "id": f.id,
        "source": source(f),
        "ratings": ratings,
        "affects": [{
            "ref": affected_ref(t, f),
            "versions": [{ "version": f.installed, "status": "affected" }],
        }],
        "properties": [
            prop("drydock:fingerprint", &f.fingerprint),
            prop("drydock:status", f.status.as_str()),
            prop("drydock:target", &t.name),
        ],
    });
    if !cwes.is_empty() {
        v["cwes"] = json!(cwes);
    }
    if let Some(desc) = f.description.as_ref().or(f.title.as_ref()) {
        v["description"] = json!(desc);
    }
    if let Some(fixed) = &f.fixed {
        v["recommendation"] = json!(format!("Upgrade {} to {}", f.package, fixed));
    }
    let advisories: Vec<Value> = f
        .references
        .iter()
        .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
        .map(|u| json!({ "url": u }))
        .collect();
    if !advisories.is_empty() {
        v["advisories"] = json!(advisories);
    }
    if let Some(p) = f.published.as_deref().and_then(date_time) {
        v["published"] = json!(p);
    }
    if let Some(m) = f.modified.as_deref().and_then(date_time) {
        v["updated"] = json!(m);
    }
    if !f.aliases.is_empty() {
        let refs: Vec<Value> = f
            .aliases
            .iter()
            .map(|a| json!({ "id": a, "source": { "name": source_name(a) } }))
            .collect();
        v["references"] = json!(refs);
    }
    if d.verdict == Verdict::Suppressed {
        let mut detail = d.reason.clone().unwrap_or_else(|| "suppressed".to_string());
        if let Some(by) = &d.suppressed_by {
            detail.push_str(&format!(" (suppressed by {by})"));
        }
        if let Some(exp) = &d.expires {
            detail.push_str(&format!(", expires {exp}"));
        }
        v["analysis"] = json!({ "state": "not_affected", "detail": detail });
    }
    v
}

/// A misconfiguration or secret as a vulnerability of the image component. `refs` keeps the
/// `bom-ref`s unique: the same check at the same place in two images gets a `#2`.
fn check(
    t: &TargetReport,
    e: &MisconfigEntry,
    refs: &mut std::collections::BTreeSet<String>,
) -> Value {
    let f = &e.finding;
    let mut bom_ref = format!("check:{}", f.fingerprint);
    let mut n = 1;
    while refs.contains(&bom_ref) {
        n += 1;
        bom_ref = format!("check:{}#{n}", f.fingerprint);
    }
    refs.insert(bom_ref.clone());
    let severity = match f.severity {
        drydock_misconfig::Severity::Info => "info",
        _ => cyclonedx_severity(e.severity()),
    };
    let mut v = json!({
        "bom-ref": bom_ref,
        "id": f.id,
        "source": { "name": "drydock" },
        "ratings": [{ "source": { "name": "drydock" }, "severity": severity, "method": "other" }],
        "description": f.title,
        "recommendation": f.fix,
        "affects": [{ "ref": target_ref(t) }],
        "properties": [
            prop("drydock:kind", crate::misconfig::kind_name(e)),
            prop("drydock:location", &f.evidence.location()),
            prop("drydock:fingerprint", &f.fingerprint),
            prop("drydock:target", &t.name),
        ],
    });
    if let Some(c) = drydock_misconfig::CHECKS.iter().find(|c| c.id == f.id) {
        v["detail"] = json!(c.rationale);
    }
    if e.policy.verdict == Verdict::Suppressed {
        let detail = e
            .policy
            .reason
            .clone()
            .unwrap_or_else(|| "suppressed".to_string());
        v["analysis"] = json!({ "state": "not_affected", "detail": detail });
    }
    v
}

/// The package the finding affects, as a component `bom-ref` (its purl).
fn affected_ref(t: &TargetReport, f: &Finding) -> String {
    t.package_of(f)
        .map_or_else(|| f.purl.clone(), |p| p.purl.clone())
}

fn severity_source_name(f: &Finding) -> String {
    match &f.severity_source {
        drydock_match::SeveritySource::Vendor(v) => v.clone(),
        drydock_match::SeveritySource::Nvd => "NVD".to_string(),
        drydock_match::SeveritySource::Cvss(v) => format!("CVSS {v}"),
        _ => "drydock".to_string(),
    }
}

fn source(f: &Finding) -> Value {
    let mut s = json!({ "name": source_name(&f.id) });
    if let Some(url) = &f.primary_url {
        s["url"] = json!(url);
    }
    s
}

/// Who publishes an advisory id, from its prefix.
fn source_name(id: &str) -> &'static str {
    let upper = id.to_ascii_uppercase();
    if upper.starts_with("CVE-") {
        "NVD"
    } else if upper.starts_with("GHSA-") {
        "GitHub"
    } else if upper.starts_with("RUSTSEC-") {
        "RustSec"
    } else if upper.starts_with("GO-") {
        "Go Vulnerability Database"
    } else if upper.starts_with("PYSEC-") {
        "PyPA"
    } else if upper.starts_with("ALPINE-") {
        "Alpine"
    } else if upper.starts_with("DSA-") || upper.starts_with("DLA-") {
        "Debian"
    } else {
        "OSV"
    }
}

/// A feed timestamp as RFC 3339 (the schema's `date-time`): NVD writes
/// `2019-08-06T16:15:11.720` with no offset (it means UTC), some feeds a bare date.
pub(crate) fn date_time(s: &str) -> Option<String> {
    let s = s.trim();
    let bytes = s.as_bytes();
    let date_ok = bytes.len() >= 10
        && bytes[..10].iter().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                *b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !date_ok {
        return None;
    }
    if bytes.len() == 10 {
        return Some(format!("{s}T00:00:00Z"));
    }
    if !matches!(bytes[10], b'T' | b't' | b' ') || bytes.len() < 19 {
        return None;
    }
    let time = &s[11..];
    let zone = time.get(8..).unwrap_or("");
    let has_offset =
        time.ends_with('Z') || time.ends_with('z') || zone.contains('+') || zone.contains('-');
    let out = format!("{}T{}", &s[..10], time);
    Some(if has_offset { out } else { format!("{out}Z") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_times_become_rfc3339() {
        assert_eq!(
            date_time("2019-08-06T16:15:11.720").as_deref(),
            Some("2019-08-06T16:15:11.720Z")
        );
        assert_eq!(
            date_time("2019-08-06").as_deref(),
            Some("2019-08-06T00:00:00Z")
        );
        assert_eq!(
            date_time("2019-08-06T16:15:11+02:00").as_deref(),
            Some("2019-08-06T16:15:11+02:00")
        );
        assert_eq!(date_time("yesterday"), None);
    }
}
