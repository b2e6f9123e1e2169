//! VEX documents: OpenVEX (<https://github.com/openvex/spec>) and CycloneDX VEX (a BOM's
//! `vulnerabilities[].analysis`). Read leniently across versions: OpenVEX 0.0.x wrote
//! `vulnerability` and `products` as plain strings, 0.2 as objects.

use std::collections::HashMap;
use std::path::Path;

use drydock_match::Finding;
use serde_json::Value;

use crate::error::PolicyError;
use crate::pattern;

/// What a VEX statement says of a vulnerability in a product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VexStatus {
    /// Suppresses, with the justification as the reason.
    NotAffected,
    /// Suppresses: the product ships the fix.
    Fixed,
    /// Does not suppress (and overrides an earlier `not_affected`).
    Affected,
    /// Does not suppress.
    UnderInvestigation,
}

/// One statement: a vulnerability, the package purls it is about, a status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VexStatement {
    pub vulnerability: String,
    pub aliases: Vec<String>,
    /// Package purls. Empty when the statement names only an image (`pkg:oci/…`,
    /// `pkg:docker/…`) or nothing: it then applies to every package of the scanned target.
    pub purls: Vec<String>,
    pub status: VexStatus,
    pub justification: Option<String>,
    /// OpenVEX `impact_statement` / `status_notes`, CycloneDX `analysis.detail`.
    pub detail: Option<String>,
}

impl VexStatement {
    pub fn matches(&self, f: &Finding) -> bool {
        let ids: Vec<&String> = std::iter::once(&f.id).chain(&f.aliases).collect();
        let vuln = std::iter::once(&self.vulnerability)
            .chain(&self.aliases)
            .any(|v| ids.iter().any(|i| i.eq_ignore_ascii_case(v.trim())));
        vuln && (self.purls.is_empty() || self.purls.iter().any(|p| pattern::purl(p, &f.purl)))
    }

    /// Why it suppresses: the justification, with the detail when there is one.
    pub fn reason(&self) -> String {
        match (&self.justification, &self.detail) {
            (Some(j), Some(d)) => format!("{j}: {d}"),
            (Some(j), None) => j.clone(),
            (None, Some(d)) => d.clone(),
            (None, None) => match self.status {
                VexStatus::Fixed => "fixed".into(),
                _ => "not_affected".into(),
            },
        }
    }
}

/// One VEX document. Statements later in a document (and later documents) override earlier
/// ones about the same vulnerability and package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VexDoc {
    /// The file it was read from.
    pub source: String,
    pub statements: Vec<VexStatement>,
}

fn str_of(v: &Value) -> Option<String> {
    v.as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
}

/// An OpenVEX product or subcomponent: its `@id` or `identifiers.purl`, or the string itself.
fn component_purl(v: &Value) -> Option<String> {
    if let Some(s) = str_of(v) {
        return Some(s);
    }
    v.get("identifiers")
        .and_then(|i| i.get("purl"))
        .and_then(str_of)
        .or_else(|| v.get("@id").and_then(str_of))
}

fn is_image(purl: &str) -> bool {
    purl.starts_with("pkg:oci/") || purl.starts_with("pkg:docker/") || !purl.starts_with("pkg:")
}

impl VexDoc {
    pub fn load(path: &Path) -> Result<VexDoc, PolicyError> {
        let bytes = std::fs::read(path).map_err(|source| PolicyError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        VexDoc::parse(&bytes, &path.display().to_string())
    }

    /// Parses an OpenVEX document (it has `statements`) or a CycloneDX BOM with
    /// `vulnerabilities`.
    pub fn parse(bytes: &[u8], file: &str) -> Result<VexDoc, PolicyError> {
        let doc: Value = serde_json::from_slice(bytes).map_err(|e| PolicyError::Syntax {
            file: file.to_string(),
            line: e.line() as u64,
            message: e.to_string(),
        })?;
        let bad = |message: String| PolicyError::Vex {
            file: file.to_string(),
            message,
        };
        let statements = if let Some(list) = doc.get("statements").and_then(Value::as_array) {
            openvex(list).map_err(bad)?
        } else if doc.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX")
            || doc.get("vulnerabilities").is_some()
        {
            cyclonedx(&doc).map_err(bad)?
        } else {
            return Err(bad(
                "neither `statements` (OpenVEX) nor `vulnerabilities` (CycloneDX)".into(),
            ));
        };
        Ok(VexDoc {
            source: file.to_string(),
            statements,
        })
    }
}

fn openvex(list: &[Value]) -> Result<Vec<VexStatement>, String> {
    let mut out = Vec::new();
    for (i, s) in list.iter().enumerate() {
        let v = &s["vulnerability"];
        let vulnerability = str_of(v)
            .or_else(|| v.get("name").and_then(str_of))
            .or_else(|| v.get("@id").and_then(str_of))
            .ok_or_else(|| format!("statement {i} names no vulnerability"))?;
        let aliases = v
            .get("aliases")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(str_of)
            .collect();
        let status = match s.get("status").and_then(Value::as_str) {
            Some("not_affected") => VexStatus::NotAffected,
            Some("fixed") => VexStatus::Fixed,
            Some("affected") => VexStatus::Affected,
            Some("under_investigation") => VexStatus::UnderInvestigation,
            other => return Err(format!("statement {i} has status {other:?}")),
        };
        let mut purls = Vec::new();
        for p in s
            .get("products")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(purl) = component_purl(p).filter(|p| !is_image(p)) {
                purls.push(purl);
            }
            for sub in p
                .get("subcomponents")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(purl) = component_purl(sub) {
                    purls.push(purl);
                }
            }
        }
        let detail = s
            .get("impact_statement")
            .and_then(str_of)
            .or_else(|| s.get("status_notes").and_then(str_of));
        out.push(VexStatement {
            vulnerability,
            aliases,
            purls,
            status,
            justification: s.get("justification").and_then(str_of),
            detail,
        });
    }
    Ok(out)
}

/// `bom-ref` → purl of every component, nested ones included.
fn bom_refs(components: &Value, map: &mut HashMap<String, String>) {
    for c in components.as_array().into_iter().flatten() {
        if let (Some(r), Some(p)) = (
            c.get("bom-ref").and_then(str_of),
            c.get("purl").and_then(str_of),
        ) {
            map.insert(r, p);
        }
        if let Some(sub) = c.get("components") {
            bom_refs(sub, map);
        }
    }
}

fn cyclonedx(doc: &Value) -> Result<Vec<VexStatement>, String> {
    let mut refs = HashMap::new();
    bom_refs(&doc["components"], &mut refs);
    if let Some(c) = doc.get("metadata").and_then(|m| m.get("component")) {
        bom_refs(&Value::Array(vec![c.clone()]), &mut refs);
    }
    let mut out = Vec::new();
    for (i, v) in doc["vulnerabilities"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let vulnerability = v
            .get("id")
            .and_then(str_of)
            .ok_or_else(|| format!("vulnerability {i} has no `id`"))?;
        let aliases = v
            .get("references")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|r| r.get("id").and_then(str_of))
            .collect();
        let analysis = &v["analysis"];
        let status = match analysis.get("state").and_then(Value::as_str) {
            Some("not_affected" | "false_positive") => VexStatus::NotAffected,
            Some("resolved" | "resolved_with_pedigree") => VexStatus::Fixed,
            Some("exploitable") => VexStatus::Affected,
            Some("in_triage") | None => VexStatus::UnderInvestigation,
            Some(other) => {
                return Err(format!(
                    "vulnerability `{vulnerability}` has state `{other}`"
                ));
            }
        };
        let mut purls = Vec::new();
        for a in v
            .get("affects")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(r) = a.get("ref").and_then(str_of) else {
                continue;
            };
            // A BOM-Link (`urn:cdx:<serial>/<version>#<bom-ref>`) names a component of another
            // BOM by its bom-ref.
            let local = r.rsplit_once('#').map_or(r.as_str(), |(_, frag)| frag);
            let purl = if r.starts_with("pkg:") {
                Some(r.clone())
            } else {
                refs.get(local)
                    .or_else(|| refs.get(&r))
                    .cloned()
                    .or_else(|| local.starts_with("pkg:").then(|| local.to_string()))
            };
            // An unresolvable ref still narrows the statement: it matches nothing.
            purls.push(purl.unwrap_or(r));
        }
        out.push(VexStatement {
            vulnerability,
            aliases,
            purls,
            status,
            justification: analysis.get("justification").and_then(str_of),
            detail: analysis.get("detail").and_then(str_of),
        });
    }
    Ok(out)
}
