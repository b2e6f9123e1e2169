//! in-toto statements with cosign's vulnerability predicate, made from a drydock report.
//!
//! The predicate's `scanner.result` is a Trivy-shaped subset of the report
//! (`Results[].Vulnerabilities[].{VulnerabilityID, PkgName, InstalledVersion, FixedVersion,
//! Severity, CVSS}`), so admission policies written against `trivy --format cosign-vuln`
//! (Kyverno, policy-controller) read drydock's attestations unchanged.

use std::collections::BTreeMap;

use drydock_report::{Report, TargetReport};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::{AttestError, Result};

/// in-toto Statement v1.
pub const STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";
/// in-toto Statement v0.1 (what `cosign attest` writes).
pub const STATEMENT_V01: &str = "https://in-toto.io/Statement/v0.1";
/// cosign's vulnerability-scan predicate.
pub const VULN_PREDICATE: &str = "https://cosign.sigstore.dev/attestation/vuln/v1";

/// An in-toto statement; `P` is the predicate (a [`VulnPredicate`] when drydock writes one, any
/// JSON when it reads one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Statement<P = Value> {
    #[serde(rename = "_type")]
    pub statement_type: String,
    pub subject: Vec<Subject>,
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    pub predicate: P,
}

/// What a statement is about: an artifact named by its digests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Algorithm → lowercase hex (`sha256` → `…`).
    pub digest: BTreeMap<String, String>,
}

/// The subject a user names: `REF@sha256:<hex>` or a bare `sha256:<hex>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectRef {
    /// The reference without tag or digest (`host/repo`), when given.
    pub repository: Option<drydock_registry::Reference>,
    /// `sha256:<hex>`.
    pub digest: drydock_image::Digest,
}

impl std::str::FromStr for SubjectRef {
    type Err = AttestError;

    fn from_str(s: &str) -> Result<SubjectRef> {
        let bad = |reason: &str| AttestError::Subject {
            subject: s.to_string(),
            reason: reason.to_string(),
        };
        let (name, digest) = match s.rsplit_once('@') {
            Some((name, digest)) => (Some(name), digest),
            None if s.starts_with("sha256:") => (None, s),
            None => {
                return Err(bad(
                    "name the digest pods pull: `REF@sha256:<hex>` or `sha256:<hex>` (a tag can move)",
                ));
            }
        };
        let digest = drydock_image::Digest::parse(digest).map_err(|e| bad(&e.to_string()))?;
        let repository = match name {
            Some(n) => Some(
                format!("{n}@{digest}")
                    .parse::<drydock_registry::Reference>()
                    .map_err(|e| bad(&e.to_string()))?,
            ),
            None => None,
        };
        Ok(SubjectRef { repository, digest })
    }
}

impl SubjectRef {
    /// The statement subject: `{name: "host/repo", digest: {sha256: hex}}`.
    pub fn subject(&self) -> Subject {
        Subject {
            name: self
                .repository
                .as_ref()
                .map(|r| format!("{}/{}", r.registry(), r.repository())),
            digest: BTreeMap::from([("sha256".to_string(), self.digest.hex().to_string())]),
        }
    }
}

/// cosign's vulnerability predicate (`specs/COSIGN_VULN_ATTESTATION_SPEC.md`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VulnPredicate {
    #[serde(default)]
    pub invocation: Invocation,
    pub scanner: Scanner,
    pub metadata: Metadata,
}

/// Where the scan ran (a CI run); empty strings when unknown, as cosign leaves them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Invocation {
    #[serde(default)]
    pub parameters: Value,
    #[serde(default)]
    pub uri: String,
    #[serde(default)]
    pub event_id: String,
    #[serde(default, rename = "builder.id")]
    pub builder_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scanner {
    #[serde(default)]
    pub uri: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub db: Db,
    #[serde(default)]
    pub result: Value,
}

/// The vulnerability database the scan used: cosign's `uri` and `version`, plus when it was
/// built and the sha256 of the file, so a policy can tell which advisories the scan knew.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Db {
    #[serde(default)]
    pub uri: String,
    #[serde(default)]
    pub version: String,
    /// When the DB was built, RFC 3339.
    #[serde(default, rename = "updatedAt", skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// `sha256:<hex>` of the DB file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

/// `uri` of a drydock advisory DB (the file is built or downloaded locally; its path is not
/// recorded, it says nothing to a verifier).
pub const DB_URI: &str = "pkg:generic/drydock-db";

impl Db {
    /// The DB file at `path`, of schema `schema_version`, built at `updated_at` (RFC 3339):
    /// reads the file to hash it.
    pub fn of_file(path: &std::path::Path, schema_version: u32, updated_at: &str) -> Result<Db> {
        use sha2::Digest as _;
        let io = |e: std::io::Error| AttestError::Report(format!("DB `{}`: {e}", path.display()));
        let mut file = std::fs::File::open(path).map_err(io)?;
        let mut hasher = sha2::Sha256::new();
        std::io::copy(&mut file, &mut hasher).map_err(io)?;
        Ok(Db {
            uri: DB_URI.to_string(),
            version: schema_version.to_string(),
            updated_at: Some(updated_at.to_string()),
            digest: Some(format!("sha256:{}", hex::encode(hasher.finalize()))),
        })
    }
}

/// RFC 3339 times of the scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    #[serde(rename = "scanStartedOn")]
    pub scan_started_on: String,
    #[serde(rename = "scanFinishedOn")]
    pub scan_finished_on: String,
}

/// How to make a statement from a report.
#[derive(Debug, Clone, Default)]
pub struct StatementOptions {
    pub invocation: Invocation,
    pub db: Db,
    /// Write `_type` v0.1 (what `cosign attest` writes) instead of v1.
    pub v01: bool,
}

/// The statement attesting `report` about `subject`.
///
/// Both scan times are the report's `created_at` (a report records one time), so the same
/// report, subject and options give the same bytes.
pub fn vuln_statement(
    report: &Report,
    subject: &SubjectRef,
    opts: &StatementOptions,
) -> Result<Statement<VulnPredicate>> {
    if report.kind != drydock_report::ReportKind::Vulnerability {
        return Err(AttestError::Report(
            "an SBOM report has no findings to attest: attest the JSON of `drydock image` or `drydock fs`".into(),
        ));
    }
    jiff::Timestamp::strptime("%Y-%m-%dT%H:%M:%S%:z", &report.created_at)
        .or_else(|_| report.created_at.parse::<jiff::Timestamp>())
        .map_err(|e| AttestError::Report(format!("`created_at` `{}`: {e}", report.created_at)))?;
    let tool = &report.tool;
    Ok(Statement {
        statement_type: if opts.v01 {
            STATEMENT_V01
        } else {
            STATEMENT_V1
        }
        .to_string(),
        subject: vec![subject.subject()],
        predicate_type: VULN_PREDICATE.to_string(),
        predicate: VulnPredicate {
            invocation: opts.invocation.clone(),
            scanner: Scanner {
                uri: format!("pkg:generic/{}@{}", tool.name, tool.version),
                version: tool.version.clone(),
                db: opts.db.clone(),
                result: trivy_result(report),
            },
            metadata: Metadata {
                scan_started_on: report.created_at.clone(),
                scan_finished_on: report.created_at.clone(),
            },
        },
    })
}

/// The Trivy-shaped subset of `report`: one `Results[]` entry per target and package class
/// (OS packages; each language ecosystem and file), with the reported findings.
pub fn trivy_result(report: &Report) -> Value {
    let mut results = Vec::new();
    for target in &report.targets {
        results.extend(target_results(target));
    }
    let first = report.targets.first();
    let artifact_type = match first.map(|t| t.kind.as_str()) {
        Some("directory") => "filesystem",
        _ => "container_image",
    };
    json!({
        "SchemaVersion": 2,
        "CreatedAt": report.created_at,
        "ArtifactName": first.map(|t| t.name.as_str()).unwrap_or_default(),
        "ArtifactType": artifact_type,
        "Results": results,
    })
}

fn target_results(target: &TargetReport) -> Vec<Value> {
    // (class, type, target) → vulnerabilities, in report order within each group.
    let mut groups: BTreeMap<(&'static str, String, String), Vec<Value>> = BTreeMap::new();
    for d in target.reported() {
        let f = &d.finding;
        let key = if f.ecosystem.is_os() {
            let (family, version) = match &target.os {
                Some(os) => (
                    serde_json::to_value(&os.family)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                    os.version.clone(),
                ),
                None => (f.ecosystem.as_str().to_string(), String::new()),
            };
            let name = match (family.is_empty(), version.is_empty()) {
                (true, _) => target.name.clone(),
                (false, true) => format!("{} ({family})", target.name),
                (false, false) => format!("{} ({family} {version})", target.name),
            };
            ("os-pkgs", family, name)
        } else {
            let path = target
                .package_of(f)
                .and_then(|p| p.package.locations.first())
                .map(|l| l.path.clone())
                .unwrap_or_else(|| target.name.clone());
            ("lang-pkgs", f.ecosystem.as_str().to_string(), path)
        };
        groups.entry(key).or_default().push(vulnerability(d));
    }
    groups
        .into_iter()
        .map(|((class, kind, name), vulns)| {
            json!({
                "Target": name,
                "Class": class,
                "Type": kind,
                "Vulnerabilities": vulns,
            })
        })
        .collect()
}

fn vulnerability(d: &drydock_policy::Decision) -> Value {
    let f = &d.finding;
    // Policies allow-list CVE ids: prefer the CVE alias over a GHSA/OSV record id.
    let id = if f.id.starts_with("CVE-") {
        f.id.clone()
    } else {
        f.aliases
            .iter()
            .find(|a| a.starts_with("CVE-"))
            .cloned()
            .unwrap_or_else(|| f.id.clone())
    };
    let mut v = json!({
        "VulnerabilityID": id,
        "PkgName": f.package,
        "InstalledVersion": f.installed,
        "Severity": f.severity.as_str(),
    });
    if let Some(fixed) = &f.fixed {
        v["FixedVersion"] = json!(fixed);
    }
    let mut cvss = serde_json::Map::new();
    for c in &f.cvss {
        // Trivy names sources `nvd`, `redhat`, `ghsa`; drydock's NVD source is its address.
        let source = if c.source.contains("nvd") {
            "nvd".to_string()
        } else {
            c.source.clone()
        };
        let entry = cvss.entry(source).or_insert_with(|| json!({}));
        let major = c.version.split('.').next().unwrap_or_default();
        if matches!(major, "2" | "3" | "4") {
            entry[format!("V{major}Vector")] = json!(c.vector);
            entry[format!("V{major}Score")] = json!(c.base_score);
        }
    }
    if !cvss.is_empty() {
        v["CVSS"] = Value::Object(cvss);
    }
    v
}
