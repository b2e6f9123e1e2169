//! Triage decisions as VEX: OpenVEX v0.2.0 and CycloneDX 1.6 VEX (a BOM's
//! `vulnerabilities[].analysis`), written and read back without loss.
//!
//! One statement (OpenVEX) or vulnerability (CycloneDX) per record. The standard fields carry
//! what each vocabulary can say (the mapping tables are in `docs/triage.md`); what it cannot —
//! drydock's own state, owner, approver, expiry, notes, and the stored justification when it
//! is in the other vocabulary — goes in OpenVEX `status_notes` (a `drydock triage: STATE` line
//! and `key: value` lines) and in CycloneDX `properties` (`drydock:triage:*`), so
//! [`export`] → [`parse`] → [`export`] gives the same bytes. Documents from other tools are
//! read by their standard fields alone.
//!
//! Scope travels in the products: an image record's product is the image
//! (`pkg:oci/app?repository_url=…`) with the package as subcomponent, a release record's is
//! `urn:drydock:release:NAME`, an `all` record's product is the package itself.

use std::collections::BTreeMap;

use drydock_package::Ecosystem;
use drydock_policy::{Date, Decision, Verdict};
use drydock_store::TriageRecord;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::TriageError;
use crate::state::{Justification, Scope, State, Triage, TriageInput, normalize_vuln_id};

/// The VEX dialects drydock writes and reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VexFormat {
    OpenVex,
    CycloneDx,
}

impl VexFormat {
    /// Which dialect a JSON document is: OpenVEX has `statements`, a CycloneDX BOM
    /// `bomFormat`/`vulnerabilities`.
    pub fn detect(doc: &Value) -> Option<VexFormat> {
        if doc.get("statements").is_some() || doc.get("@context").is_some() {
            Some(VexFormat::OpenVex)
        } else if doc.get("bomFormat").is_some() || doc.get("vulnerabilities").is_some() {
            Some(VexFormat::CycloneDx)
        } else {
            None
        }
    }
}

/// One decision to write or one read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub triage: Triage,
    /// Unix seconds the decision was first made (OpenVEX statement `timestamp`, CycloneDX
    /// `analysis.firstIssued`); `None` when a foreign document does not say.
    pub created_at: Option<i64>,
    /// The package's exact purl when known (a scan report); else one is built from the
    /// ecosystem and name.
    pub purl: Option<String>,
}

/// Who a document is from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportOptions {
    /// OpenVEX `author`, CycloneDX `metadata.authors[].name`.
    pub author: String,
    /// drydock's version, for `tooling` / `metadata.tools`.
    pub version: String,
}

/// The entries of stored records, in key order.
pub fn entries_from_records(records: &[TriageRecord]) -> Result<Vec<Entry>, TriageError> {
    let mut out = records
        .iter()
        .map(|r| {
            Ok(Entry {
                triage: Triage::from_record(r).map_err(|e| {
                    TriageError::Invalid(format!("triage #{} cannot be exported: {e}", r.id))
                })?,
                created_at: Some(r.created_at),
                purl: None,
            })
        })
        .collect::<Result<Vec<_>, TriageError>>()?;
    sort(&mut out);
    Ok(out)
}

/// The findings of one scanned image that drydock's Go reachability evidence says are not in
/// the binary and that were filtered for it (`--linked-only`): `not_affected`,
/// `vulnerable_code_not_present`, the evidence as the reason, scoped to the image's repository.
pub fn entries_from_decisions(
    repository: &str,
    decisions: &[Decision],
    created_at: Option<i64>,
) -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::new();
    for d in decisions {
        let f = &d.finding;
        let Some(ev) = f.evidence.as_ref().filter(|e| e.code_absent()) else {
            continue;
        };
        if d.verdict != Verdict::Filtered {
            continue;
        }
        let vuln_id = drydock_match::identity::vulnerability_id(&f.id, &f.aliases);
        let triage = Triage {
            scope: Scope::Image(repository.to_string()),
            ecosystem: Some(f.ecosystem),
            package: f.package.clone(),
            vuln_id: normalize_vuln_id(&vuln_id),
            state: State::NotAffected,
            justification: Some(Justification::VulnerableCodeNotPresent),
            reason: Some(format!(
                "Go reachability evidence ({}): {ev}; {} {} found by drydock's function-table analysis",
                ev.as_str(),
                f.package,
                f.installed
            )),
            notes: None,
            owner: None,
            approver: None,
            expires: None,
        };
        if !out.iter().any(|e| e.triage.key() == triage.key()) {
            out.push(Entry {
                triage,
                created_at,
                purl: Some(without_version(&f.purl)),
            });
        }
    }
    sort(&mut out);
    out
}

/// Vulnerability, package, then scope: the order `drydock triage list` shows.
fn sort(entries: &mut [Entry]) {
    entries.sort_by_key(|e| {
        let k = e.triage.key();
        (k.vuln_id.clone(), k.package.clone(), k.ecosystem.clone(), k)
    });
}

// ---------------------------------------------------------------------------------------------
// Package URLs of the products.

/// Percent-encodes a purl component as the purl spec asks: all but unreserved characters.
fn pct(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn pct_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (
                char::from(b[i + 1]).to_digit(16),
                char::from(b[i + 2]).to_digit(16),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A purl without version, qualifiers or subpath.
fn without_version(purl: &str) -> String {
    let p = purl.split(['?', '#']).next().unwrap_or(purl);
    match p.rfind('@') {
        Some(i) if p[..i].contains('/') && !p[i..].contains('/') => p[..i].to_string(),
        _ => p.to_string(),
    }
}

/// The purl (no version) of a package of an ecosystem; `pkg:generic/NAME` for any ecosystem.
pub fn package_purl(ecosystem: Option<Ecosystem>, name: &str) -> String {
    let Some(eco) = ecosystem else {
        return format!("pkg:generic/{}", pct(name));
    };
    let path = match eco {
        Ecosystem::Npm => match name.strip_prefix('@').and_then(|n| n.split_once('/')) {
            Some((scope, n)) => format!("%40{}/{}", pct(scope), pct(n)),
            None => pct(name),
        },
        Ecosystem::Maven => match name.split_once(':') {
            Some((g, a)) => format!("{}/{}", pct(g), pct(a)),
            None => pct(name),
        },
        Ecosystem::Golang | Ecosystem::Composer => {
            name.split('/').map(pct).collect::<Vec<_>>().join("/")
        }
        Ecosystem::Deb => format!("debian/{}", pct(name)),
        Ecosystem::Apk => format!("alpine/{}", pct(name)),
        _ => pct(name),
    };
    format!("pkg:{}/{path}", eco.as_str())
}

/// The ecosystem (`None` for `pkg:generic`) and package name of a package purl.
pub fn package_of_purl(purl: &str) -> Option<(Option<Ecosystem>, String)> {
    let rest = without_version(purl.trim());
    let rest = rest.strip_prefix("pkg:")?;
    let (ty, path) = rest.split_once('/')?;
    let segs: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(pct_decode)
        .collect();
    let last = segs.last()?.clone();
    if ty.eq_ignore_ascii_case("generic") {
        return Some((None, last));
    }
    let eco = Ecosystem::ALL
        .into_iter()
        .find(|e| e.as_str().eq_ignore_ascii_case(ty))?;
    let name = match eco {
        Ecosystem::Npm if segs.len() == 2 && segs[0].starts_with('@') => segs.join("/"),
        Ecosystem::Maven if segs.len() == 2 => format!("{}:{}", segs[0], segs[1]),
        Ecosystem::Golang | Ecosystem::Composer => segs.join("/"),
        _ => last,
    };
    Some((Some(eco), name))
}

fn image_purl(repository: &str) -> String {
    let name = repository.rsplit('/').next().unwrap_or(repository);
    format!(
        "pkg:oci/{}?repository_url={}",
        pct(&name.to_ascii_lowercase()),
        pct(repository)
    )
}

/// The repository an image purl names (`pkg:oci/…?repository_url=…`, `pkg:docker/…`).
fn repository_of_image_purl(purl: &str) -> Option<String> {
    let rest = purl
        .strip_prefix("pkg:oci/")
        .or_else(|| purl.strip_prefix("pkg:docker/"))?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let url = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("repository_url="))
        .map(pct_decode);
    let path = path.split('@').next().unwrap_or(path);
    Some(match url {
        Some(u) => u,
        None => drydock_match::identity::repository(&pct_decode(path)),
    })
}

const RELEASE_IRI: &str = "urn:drydock:release:";

// ---------------------------------------------------------------------------------------------
// drydock's own fields, where the standard ones do not reach.

/// The `(key, value)` pairs of what the standard fields of `format` cannot say.
fn extra_fields(t: &Triage, format: VexFormat) -> Vec<(&'static str, String)> {
    let mut v = vec![("state", t.state.as_str().to_string())];
    if let Some(j) = t.justification {
        let exported = match format {
            VexFormat::OpenVex => j.openvex(),
            VexFormat::CycloneDx => j.cyclonedx(),
        };
        if exported != j.as_str() {
            v.push(("justification", j.as_str().to_string()));
        }
    }
    if format == VexFormat::OpenVex
        && t.state == State::InTriage
        && let Some(r) = &t.reason
    {
        v.push(("reason", r.clone()));
    }
    if let Some(e) = t.expires {
        v.push(("expires", e.to_string()));
    }
    for (k, x) in [
        ("owner", &t.owner),
        ("approver", &t.approver),
        ("notes", &t.notes),
    ] {
        if let Some(x) = x {
            v.push((k, x.clone()));
        }
    }
    if format == VexFormat::CycloneDx {
        v.push(("scope", t.scope.kind().to_string()));
        match &t.scope {
            Scope::Image(r) => v.push(("repository", r.clone())),
            Scope::Release(r) => v.push(("release", r.clone())),
            Scope::All => {}
        }
    }
    v
}

const NOTES_HEAD: &str = "drydock triage: ";

/// A value on one `key: value` line: as is, or as a JSON string when it would not survive.
fn line_value(s: &str) -> String {
    if s.contains(['\n', '\r', '\\']) || s.starts_with('"') || s != s.trim() {
        serde_json::to_string(s).unwrap_or_default()
    } else {
        s.to_string()
    }
}

fn status_notes(t: &Triage) -> String {
    let mut out = String::new();
    for (k, v) in extra_fields(t, VexFormat::OpenVex) {
        if k == "state" {
            out.push_str(NOTES_HEAD);
            out.push_str(&v);
        } else {
            out.push_str(&format!("\n{k}: {}", line_value(&v)));
        }
    }
    out
}

/// drydock's fields from `status_notes`, or `None` when the notes are not drydock's.
fn parse_status_notes(notes: &str) -> Result<Option<BTreeMap<String, String>>, String> {
    let mut lines = notes.lines();
    let Some(state) = lines.next().and_then(|l| l.strip_prefix(NOTES_HEAD)) else {
        return Ok(None);
    };
    let mut m = BTreeMap::new();
    m.insert("state".to_string(), state.trim().to_string());
    for l in lines {
        let (k, v) = l
            .split_once(": ")
            .ok_or_else(|| format!("`status_notes` line `{l}` is not `key: value`"))?;
        let v = if v.starts_with('"') {
            serde_json::from_str::<String>(v)
                .map_err(|e| format!("`status_notes` value of `{k}`: {e}"))?
        } else {
            v.to_string()
        };
        m.insert(k.to_string(), v);
    }
    Ok(Some(m))
}

// ---------------------------------------------------------------------------------------------
// Texts of the affected-family statuses, and their inverse.

fn action_prefix(state: State, expires: Option<Date>) -> String {
    match state {
        State::Accepted => format!(
            "Risk accepted until {}: ",
            expires.map(|e| e.to_string()).unwrap_or_default()
        ),
        State::Waiting => "Waiting on an upstream fix: ".into(),
        _ => String::new(),
    }
}

fn action_default(state: State, package: &str) -> String {
    match state {
        State::Waiting => "Waiting on an upstream fix.".into(),
        _ => format!("Update {package} to a version with the fix."),
    }
}

fn action_statement(t: &Triage) -> String {
    match &t.reason {
        Some(r) => format!("{}{r}", action_prefix(t.state, t.expires)),
        None => action_default(t.state, &t.package),
    }
}

fn reason_of_action(
    state: State,
    expires: Option<Date>,
    package: &str,
    text: &str,
) -> Option<String> {
    if text == action_default(state, package) {
        return None;
    }
    let p = action_prefix(state, expires);
    Some(text.strip_prefix(p.as_str()).unwrap_or(text).to_string())
}

// ---------------------------------------------------------------------------------------------
// OpenVEX.

#[derive(Serialize)]
struct OvDoc {
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "@id")]
    id: String,
    author: String,
    timestamp: String,
    version: u32,
    tooling: String,
    statements: Vec<OvStatement>,
}

#[derive(Serialize, Clone)]
struct OvStatement {
    vulnerability: OvVuln,
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<String>,
    products: Vec<OvComponent>,
    status: &'static str,
    status_notes: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    justification: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    impact_statement: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    action_statement: Option<String>,
}

#[derive(Serialize, Clone)]
struct OvVuln {
    name: String,
}

#[derive(Serialize, Clone)]
struct OvComponent {
    #[serde(rename = "@id")]
    id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    subcomponents: Vec<OvSub>,
}

#[derive(Serialize, Clone)]
struct OvSub {
    #[serde(rename = "@id")]
    id: String,
}

fn purl_of(e: &Entry) -> String {
    e.purl
        .clone()
        .unwrap_or_else(|| package_purl(e.triage.ecosystem, &e.triage.package))
}

fn openvex_statement(e: &Entry) -> OvStatement {
    let t = &e.triage;
    let pkg = purl_of(e);
    let product = match &t.scope {
        Scope::Image(r) => OvComponent {
            id: image_purl(r),
            subcomponents: vec![OvSub { id: pkg }],
        },
        Scope::Release(r) => OvComponent {
            id: format!("{RELEASE_IRI}{}", pct(r)),
            subcomponents: vec![OvSub { id: pkg }],
        },
        Scope::All => OvComponent {
            id: pkg,
            subcomponents: Vec::new(),
        },
    };
    let (status, justification, impact, action) = match t.state {
        State::InTriage => ("under_investigation", None, None, None),
        State::NotAffected => (
            "not_affected",
            t.justification.map(Justification::openvex),
            t.reason.clone(),
            None,
        ),
        State::FalsePositive => (
            "not_affected",
            Some("vulnerable_code_not_present"),
            t.reason.clone(),
            None,
        ),
        State::Affected | State::Accepted | State::Waiting => {
            ("affected", None, None, Some(action_statement(t)))
        }
    };
    OvStatement {
        vulnerability: OvVuln {
            name: t.vuln_id.clone(),
        },
        timestamp: e.created_at.map(drydock_scan::rfc3339),
        products: vec![product],
        status,
        status_notes: status_notes(t),
        justification,
        impact_statement: impact,
        action_statement: action,
    }
}

fn digest_id(prefix: &str, body: &impl Serialize) -> String {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    format!("{prefix}{}", hex::encode(Sha256::digest(&bytes)))
}

/// The latest decision time in a document (its issue time): deterministic, so the same
/// decisions give the same bytes.
fn doc_time(entries: &[Entry]) -> String {
    drydock_scan::rfc3339(
        entries
            .iter()
            .filter_map(|e| e.created_at)
            .max()
            .unwrap_or(0),
    )
}

/// The OpenVEX v0.2.0 document of `entries` (at least one).
pub fn openvex(entries: &[Entry], opts: &ExportOptions) -> Result<String, TriageError> {
    if entries.is_empty() {
        return Err(TriageError::Invalid(
            "no triage records to export (an OpenVEX document needs at least one statement)".into(),
        ));
    }
    let statements: Vec<OvStatement> = entries.iter().map(openvex_statement).collect();
    let doc = OvDoc {
        context: "https://openvex.dev/ns/v0.2.0",
        id: digest_id("urn:drydock:vex:sha256:", &statements),
        author: opts.author.clone(),
        timestamp: doc_time(entries),
        version: 1,
        tooling: format!("drydock {}", opts.version),
        statements,
    };
    to_json(&doc)
}

fn to_json(v: &impl Serialize) -> Result<String, TriageError> {
    serde_json::to_string_pretty(v)
        .map(|s| s + "\n")
        .map_err(|e| TriageError::Invalid(format!("writing JSON: {e}")))
}

// ---------------------------------------------------------------------------------------------
// CycloneDX.

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CdxDoc {
    bom_format: &'static str,
    spec_version: &'static str,
    serial_number: String,
    version: u32,
    metadata: CdxMetadata,
    components: Vec<CdxComponent>,
    vulnerabilities: Vec<CdxVuln>,
}

#[derive(Serialize)]
struct CdxMetadata {
    timestamp: String,
    tools: CdxTools,
    authors: Vec<CdxName>,
}

#[derive(Serialize)]
struct CdxTools {
    components: Vec<CdxTool>,
}

#[derive(Serialize)]
struct CdxTool {
    #[serde(rename = "type")]
    ty: &'static str,
    name: &'static str,
    version: String,
}

#[derive(Serialize)]
struct CdxName {
    name: String,
}

#[derive(Serialize, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct CdxComponent {
    #[serde(rename = "bom-ref")]
    bom_ref: String,
    #[serde(rename = "type")]
    ty: &'static str,
    name: String,
    purl: String,
}

#[derive(Serialize)]
struct CdxVuln {
    #[serde(rename = "bom-ref")]
    bom_ref: String,
    id: String,
    analysis: CdxAnalysis,
    affects: Vec<CdxRef>,
    properties: Vec<CdxProperty>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CdxAnalysis {
    state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    justification: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    response: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_issued: Option<String>,
}

#[derive(Serialize)]
#[serde(rename = "ref")]
struct CdxRef {
    #[serde(rename = "ref")]
    reference: String,
}

#[derive(Serialize)]
struct CdxProperty {
    name: String,
    value: String,
}

const PROP: &str = "drydock:triage:";

/// CycloneDX `analysis.state`, `justification` and `response` of a record.
fn cdx_analysis(t: &Triage) -> (&'static str, Option<&'static str>, Vec<&'static str>) {
    match t.state {
        State::InTriage => ("in_triage", None, Vec::new()),
        State::Affected => ("exploitable", None, vec!["update"]),
        State::NotAffected => (
            "not_affected",
            t.justification.map(Justification::cyclonedx),
            Vec::new(),
        ),
        State::FalsePositive => ("false_positive", None, Vec::new()),
        State::Accepted => ("exploitable", None, vec!["will_not_fix"]),
        State::Waiting => ("exploitable", None, vec!["can_not_fix"]),
    }
}

/// A CycloneDX 1.6 BOM with the `vulnerabilities` of `entries` (at least one).
pub fn cyclonedx(entries: &[Entry], opts: &ExportOptions) -> Result<String, TriageError> {
    if entries.is_empty() {
        return Err(TriageError::Invalid("no triage records to export".into()));
    }
    let mut components: Vec<CdxComponent> = entries
        .iter()
        .map(|e| {
            let purl = purl_of(e);
            CdxComponent {
                bom_ref: purl.clone(),
                ty: "library",
                name: e.triage.package.clone(),
                purl,
            }
        })
        .collect();
    components.sort();
    components.dedup();
    let vulnerabilities: Vec<CdxVuln> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let t = &e.triage;
            let (state, justification, response) = cdx_analysis(t);
            CdxVuln {
                bom_ref: format!("triage-{}", i + 1),
                id: t.vuln_id.clone(),
                analysis: CdxAnalysis {
                    state,
                    justification,
                    response,
                    detail: t.reason.clone(),
                    first_issued: e.created_at.map(drydock_scan::rfc3339),
                },
                affects: vec![CdxRef {
                    reference: purl_of(e),
                }],
                properties: extra_fields(t, VexFormat::CycloneDx)
                    .into_iter()
                    .map(|(k, v)| CdxProperty {
                        name: format!("{PROP}{k}"),
                        value: v,
                    })
                    .collect(),
            }
        })
        .collect();
    let h = digest_id("", &vulnerabilities);
    let doc = CdxDoc {
        bom_format: "CycloneDX",
        spec_version: "1.6",
        serial_number: format!(
            "urn:uuid:{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        ),
        version: 1,
        metadata: CdxMetadata {
            timestamp: doc_time(entries),
            tools: CdxTools {
                components: vec![CdxTool {
                    ty: "application",
                    name: "drydock",
                    version: opts.version.clone(),
                }],
            },
            authors: vec![CdxName {
                name: opts.author.clone(),
            }],
        },
        components,
        vulnerabilities,
    };
    to_json(&doc)
}

// ---------------------------------------------------------------------------------------------
// Reading.

/// What [`parse`] read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Imported {
    pub entries: Vec<Entry>,
    /// Statements with nothing to keep (OpenVEX `fixed`, CycloneDX `resolved`), one line each.
    pub skipped: Vec<String>,
}

/// How to fill what a foreign document does not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportDefaults {
    pub today: Date,
    /// The expiry of an acceptance (CycloneDX `will_not_fix`) that has none.
    pub expires: Date,
}

fn text(v: &Value) -> Option<String> {
    v.as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
}

fn parse_time(s: &str) -> Option<i64> {
    s.parse::<jiff::Timestamp>().ok().map(|t| t.as_second())
}

/// Reads an OpenVEX or CycloneDX VEX document (`file` names it in errors). Every statement is
/// validated before anything is returned, so a bad document writes nothing.
pub fn parse(text_in: &str, file: &str, d: ImportDefaults) -> Result<Imported, TriageError> {
    let doc: Value = serde_json::from_str(text_in).map_err(|e| TriageError::Parse {
        file: file.into(),
        line: e.line(),
        message: format!("not JSON: {e}"),
    })?;
    let bad = |message: String| TriageError::File {
        file: file.into(),
        message,
    };
    let imported = match VexFormat::detect(&doc) {
        Some(VexFormat::OpenVex) => read_openvex(&doc, d).map_err(bad)?,
        Some(VexFormat::CycloneDx) => read_cyclonedx(&doc, d).map_err(bad)?,
        None => {
            return Err(bad(
                "not a VEX document: neither `statements` (OpenVEX) nor `vulnerabilities` (CycloneDX)"
                    .into(),
            ));
        }
    };
    Ok(imported)
}

/// The scopes and packages a statement's products name.
fn targets_of_products(products: &[Value]) -> Result<Vec<(Scope, String)>, String> {
    let id_of = |v: &Value| {
        text(v).or_else(|| v.get("@id").and_then(text)).or_else(|| {
            v.get("identifiers")
                .and_then(|i| i.get("purl"))
                .and_then(text)
        })
    };
    let mut out = Vec::new();
    for p in products {
        let pid = id_of(p).ok_or("a product has neither `@id` nor `identifiers.purl`")?;
        let subs: Vec<String> = p
            .get("subcomponents")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(id_of)
            .collect();
        let scope = if let Some(r) = pid.strip_prefix(RELEASE_IRI) {
            Some(Scope::Release(pct_decode(r)))
        } else {
            repository_of_image_purl(&pid).map(Scope::Image)
        };
        match scope {
            Some(s) => {
                if subs.is_empty() {
                    return Err(format!(
                        "product `{pid}` names no package (subcomponents): drydock keeps decisions per package"
                    ));
                }
                out.extend(subs.into_iter().map(|x| (s.clone(), x)));
            }
            // A package as the product: every image with it.
            None => out.push((Scope::All, pid)),
        }
    }
    if out.is_empty() {
        return Err("it names no product".into());
    }
    Ok(out)
}

fn input_for(scope: &Scope, purl: &str, vuln: &str) -> Result<TriageInput, String> {
    let (eco, name) =
        package_of_purl(purl).ok_or_else(|| format!("`{purl}` is not a package purl"))?;
    let (scope, repository, release) = match scope {
        Scope::Image(r) => ("image", Some(r.clone()), None),
        Scope::Release(r) => ("release", None, Some(r.clone())),
        Scope::All => ("all", None, None),
    };
    Ok(TriageInput {
        scope: scope.into(),
        repository,
        release,
        ecosystem: eco.map(|e| e.as_str().to_string()),
        package: name,
        vuln_id: vuln.to_string(),
        ..TriageInput::default()
    })
}

/// The purl to keep with an entry: only when it is not the one drydock would build.
fn kept_purl(t: &Triage, purl: &str) -> Option<String> {
    (package_purl(t.ecosystem, &t.package) != purl).then(|| purl.to_string())
}

fn read_openvex(doc: &Value, d: ImportDefaults) -> Result<Imported, String> {
    let statements = doc
        .get("statements")
        .and_then(Value::as_array)
        .ok_or("`statements` is not a list")?;
    let mut out = Imported::default();
    for (i, s) in statements.iter().enumerate() {
        let n = i + 1;
        let at = |m: String| format!("statement {n}: {m}");
        let v = &s["vulnerability"];
        let vuln = text(v)
            .or_else(|| v.get("name").and_then(text))
            .or_else(|| v.get("@id").and_then(text))
            .ok_or_else(|| at("names no vulnerability".into()))?;
        let status = s.get("status").and_then(Value::as_str).unwrap_or("");
        let notes = s.get("status_notes").and_then(text);
        let meta = notes
            .as_deref()
            .map(parse_status_notes)
            .transpose()
            .map_err(&at)?
            .flatten();
        let justification = s.get("justification").and_then(text);
        let impact = s.get("impact_statement").and_then(text);
        let action = s.get("action_statement").and_then(text);
        let created_at = s
            .get("timestamp")
            .and_then(Value::as_str)
            .map(|t| parse_time(t).ok_or_else(|| at(format!("`timestamp` `{t}` is not RFC 3339"))))
            .transpose()?;
        let state: State = match (&meta, status) {
            (Some(m), _) => m["state"]
                .parse()
                .map_err(|e: TriageError| at(e.to_string()))?,
            (None, "under_investigation") => State::InTriage,
            (None, "affected") => State::Affected,
            (None, "not_affected") => State::NotAffected,
            (None, "fixed") => {
                out.skipped.push(at(format!(
                    "`{vuln}` is `fixed`: nothing to triage (the scan sees the fixed version)"
                )));
                continue;
            }
            (None, other) => return Err(at(format!("unknown status `{other}`"))),
        };
        let get = |k: &str| meta.as_ref().and_then(|m| m.get(k).cloned());
        let expires = get("expires");
        let exp_date = expires.as_deref().and_then(|e| e.parse::<Date>().ok());
        let products: Vec<Value> = s
            .get("products")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for (scope, purl) in targets_of_products(&products).map_err(&at)? {
            let mut input = input_for(&scope, &purl, &vuln).map_err(&at)?;
            input.state = state.as_str().into();
            input.justification = match state {
                State::NotAffected => get("justification").or_else(|| justification.clone()),
                _ => None,
            };
            input.reason = match state {
                State::InTriage => {
                    get("reason").or_else(|| notes.clone().filter(|_| meta.is_none()))
                }
                State::NotAffected | State::FalsePositive => impact.clone(),
                _ => action
                    .as_deref()
                    .and_then(|a| reason_of_action(state, exp_date, &input.package, a)),
            };
            if state == State::NotAffected && input.reason.is_none() {
                // A justification alone is a complete OpenVEX statement: it is the reason.
                input.reason = input.justification.clone();
            }
            input.expires = expires.clone();
            input.owner = get("owner");
            input.approver = get("approver");
            input.notes = get("notes");
            let t = Triage::validate(input, d.today).map_err(|e| at(e.to_string()))?;
            out.entries.push(Entry {
                purl: kept_purl(&t, &purl),
                triage: t,
                created_at,
            });
        }
    }
    Ok(out)
}

fn read_cyclonedx(doc: &Value, d: ImportDefaults) -> Result<Imported, String> {
    let vulns = doc
        .get("vulnerabilities")
        .and_then(Value::as_array)
        .ok_or("`vulnerabilities` is not a list")?;
    // bom-ref → purl of the BOM's components (nested ones too).
    let mut refs: BTreeMap<String, String> = BTreeMap::new();
    let mut stack: Vec<&Value> = doc
        .get("components")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect();
    if let Some(c) = doc.get("metadata").and_then(|m| m.get("component")) {
        stack.push(c);
    }
    while let Some(c) = stack.pop() {
        if let (Some(r), Some(p)) = (
            c.get("bom-ref").and_then(text),
            c.get("purl").and_then(text),
        ) {
            refs.insert(r, p);
        }
        stack.extend(
            c.get("components")
                .and_then(Value::as_array)
                .into_iter()
                .flatten(),
        );
    }
    let mut out = Imported::default();
    for (i, v) in vulns.iter().enumerate() {
        let n = i + 1;
        let at = |m: String| format!("vulnerability {n}: {m}");
        let vuln = v
            .get("id")
            .and_then(text)
            .ok_or_else(|| at("has no `id`".into()))?;
        let a = v.get("analysis").cloned().unwrap_or(Value::Null);
        let props: BTreeMap<String, String> = v
            .get("properties")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|p| {
                let name = p.get("name").and_then(Value::as_str)?.strip_prefix(PROP)?;
                Some((
                    name.to_string(),
                    p.get("value").and_then(Value::as_str)?.to_string(),
                ))
            })
            .collect();
        let get = |k: &str| props.get(k).cloned();
        let cstate = a.get("state").and_then(Value::as_str).unwrap_or("");
        let responses: Vec<&str> = a
            .get("response")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let state: State = match (get("state"), cstate) {
            (Some(s), _) => s.parse().map_err(|e: TriageError| at(e.to_string()))?,
            (None, "in_triage") => State::InTriage,
            (None, "not_affected") => State::NotAffected,
            (None, "false_positive") => State::FalsePositive,
            (None, "exploitable") if responses.contains(&"will_not_fix") => State::Accepted,
            (None, "exploitable") if responses.contains(&"can_not_fix") => State::Waiting,
            (None, "exploitable") => State::Affected,
            (None, s @ ("resolved" | "resolved_with_pedigree")) => {
                out.skipped.push(at(format!(
                    "`{vuln}` is `{s}`: nothing to triage (the scan sees the fixed version)"
                )));
                continue;
            }
            (None, "") => return Err(at(format!("`{vuln}` has no `analysis.state`"))),
            (None, other) => return Err(at(format!("unknown `analysis.state` `{other}`"))),
        };
        let created_at = a
            .get("firstIssued")
            .and_then(Value::as_str)
            .map(|t| {
                parse_time(t).ok_or_else(|| at(format!("`firstIssued` `{t}` is not RFC 3339")))
            })
            .transpose()?;
        let scope = match get("scope").as_deref() {
            Some("image") => Scope::Image(get("repository").unwrap_or_default()),
            Some("release") => Scope::Release(get("release").unwrap_or_default()),
            Some("all") | None => Scope::All,
            Some(other) => return Err(at(format!("unknown `{PROP}scope` `{other}`"))),
        };
        let affects: Vec<String> = v
            .get("affects")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|x| x.get("ref").and_then(text))
            .collect();
        if affects.is_empty() {
            return Err(at(format!("`{vuln}` affects nothing (`affects` is empty)")));
        }
        for r in affects {
            let purl = refs
                .get(&r)
                .cloned()
                .or_else(|| r.starts_with("pkg:").then(|| r.clone()))
                .ok_or_else(|| at(format!("`affects` ref `{r}` is no component with a purl")))?;
            let mut input = input_for(&scope, &purl, &vuln).map_err(&at)?;
            input.state = state.as_str().into();
            input.justification = match state {
                State::NotAffected => {
                    get("justification").or_else(|| a.get("justification").and_then(text))
                }
                _ => None,
            };
            input.reason = a.get("detail").and_then(text);
            if state == State::NotAffected && input.reason.is_none() {
                input.reason = input.justification.clone();
            }
            input.expires = get("expires")
                .or_else(|| (state == State::Accepted).then(|| d.expires.to_string()));
            input.owner = get("owner");
            input.approver = get("approver");
            input.notes = get("notes");
            let t = Triage::validate(input, d.today).map_err(|e| at(e.to_string()))?;
            out.entries.push(Entry {
                purl: kept_purl(&t, &purl),
                triage: t,
                created_at,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_round_trip() {
        for (eco, name) in [
            (Some(Ecosystem::Deb), "libssl3"),
            (Some(Ecosystem::Npm), "@babel/core"),
            (
                Some(Ecosystem::Maven),
                "org.apache.logging.log4j:log4j-core",
            ),
            (Some(Ecosystem::Golang), "golang.org/x/net"),
            (Some(Ecosystem::Golang), "stdlib"),
            (Some(Ecosystem::Pypi), "Django"),
            (None, "openssl"),
            (None, "a/b c"),
        ] {
            let p = package_purl(eco, name);
            assert_eq!(package_of_purl(&p), Some((eco, name.to_string())), "{p}");
        }
        assert_eq!(
            package_of_purl("pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64"),
            Some((Some(Ecosystem::Deb), "libssl3".into()))
        );
        assert_eq!(package_of_purl("not a purl"), None);
        let r = "registry.example:5000/team/app";
        assert_eq!(repository_of_image_purl(&image_purl(r)).as_deref(), Some(r));
    }

    #[test]
    fn status_notes_round_trip() {
        let t = Triage {
            scope: Scope::All,
            ecosystem: None,
            package: "p".into(),
            vuln_id: "CVE-1-1".into(),
            state: State::InTriage,
            justification: None,
            reason: Some("two\nlines".into()),
            notes: Some("\"quoted\" and \\".into()),
            owner: Some(" padded ".into()),
            approver: None,
            expires: None,
        };
        let m = parse_status_notes(&status_notes(&t))
            .expect("parses")
            .expect("drydock's");
        assert_eq!(m["reason"], "two\nlines");
        assert_eq!(m["notes"], "\"quoted\" and \\");
        assert_eq!(m["owner"], " padded ");
        assert_eq!(parse_status_notes("written by a human").expect("ok"), None);
    }
}
