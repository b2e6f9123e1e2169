//! Ignore files into triage records, so a team can move its file into the store:
//! `.drydockignore.yaml`, Trivy's `.trivyignore` and `.trivyignore.yaml`, Grype's `.grype.yaml`
//! `ignore:` rules (and, through [`crate::handbook`], handbook accepted-CVE pages).
//!
//! Each entry becomes a [`Rule`]; [`to_triage`] turns rules into records. A record is keyed on
//! a package, which most ignore entries do not name: those are resolved against what the
//! store's latest complete run found (the packages with that vulnerability, in the image when
//! the import is for one). An entry that matches nothing there is reported and not kept.
//! The entry's reason (the `#` comment above a `.trivyignore` line, `statement:`, `reason:`)
//! and expiry (`exp:`, `expired_at:`, `expires:`) are kept; where the file has none, the
//! import's defaults apply (an acceptance needs both).

use std::collections::BTreeSet;

use drydock_package::Ecosystem;
use drydock_policy::{Date, IgnoreFile, IgnoreFormat};
use drydock_store::Store;
use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::TriageError;
use crate::state::{State, Triage, TriageInput, normalize_vuln_id};
use crate::vex::package_of_purl;

/// The file formats [`read`] knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IgnoreKind {
    /// `.drydockignore.yaml`.
    Drydock,
    /// `.trivyignore`: `ID [exp:YYYY-MM-DD]` lines, `#` comments above as the reason.
    Trivy,
    /// `.trivyignore.yaml`.
    TrivyYaml,
    /// Grype's `.grype.yaml` (its `ignore:` rules).
    Grype,
}

impl IgnoreKind {
    /// The format a file name says (`None`: not an ignore file name).
    pub fn from_name(file: &str) -> Option<IgnoreKind> {
        let name = file.rsplit('/').next().unwrap_or(file).to_ascii_lowercase();
        if name.ends_with(".trivyignore.yaml") || name.ends_with(".trivyignore.yml") {
            Some(IgnoreKind::TrivyYaml)
        } else if name.ends_with(".trivyignore") {
            Some(IgnoreKind::Trivy)
        } else if name.ends_with(".drydockignore.yaml") || name.ends_with(".drydockignore.yml") {
            Some(IgnoreKind::Drydock)
        } else if name.ends_with(".grype.yaml") || name.ends_with(".grype.yml") {
            Some(IgnoreKind::Grype)
        } else {
            None
        }
    }
}

/// Which package an entry is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PackageSpec {
    /// Any package with the vulnerability (resolved against a run).
    Any,
    /// This package (in this ecosystem, when known).
    Exact(Option<Ecosystem>, String),
    /// Packages whose name matches a glob (`*`, `?`), resolved against a run.
    Glob(String),
}

/// One entry of an ignore file or a handbook page, before it becomes records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// `file:line`.
    pub source: String,
    pub line: usize,
    pub vuln_id: String,
    pub package: PackageSpec,
    /// Image names the entry is limited to (a handbook row's images); empty: the import's scope.
    pub images: Vec<String>,
    pub state: State,
    pub justification: Option<String>,
    pub reason: Option<String>,
    pub expires: Option<Date>,
    pub approver: Option<String>,
    /// What a record cannot hold (path patterns), kept in its notes.
    pub paths: Vec<String>,
}

/// What the records of an import apply to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportScope {
    /// One repository.
    Image(String),
    Release(String),
    All,
    /// Each repository the rule's images name (handbook pages); `All` for rules without images.
    PerImage,
}

/// What an import fills in where an entry says nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleDefaults {
    pub today: Date,
    /// The expiry of an acceptance without one.
    pub expires: Date,
    /// The reason of an entry without one (`None`: such an entry is an error).
    pub reason: Option<String>,
}

/// A finding of the run imports are resolved against.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Observed {
    pub repository: String,
    pub ecosystem: String,
    pub package: String,
    pub vuln_id: String,
    pub advisory_id: String,
}

/// What the store's latest complete run found (`None` when the store has no complete run).
pub fn observed_in_latest_run(store: &mut Store) -> Result<Option<Vec<Observed>>, TriageError> {
    let run = match store.run("latest") {
        Ok(r) => r,
        Err(drydock_store::StoreError::NoRun(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let mut out = BTreeSet::new();
    for img in store.images(run.seq)? {
        for o in store.observations(run.seq, &img.reference)? {
            out.insert(Observed {
                repository: o.repository,
                ecosystem: o.ecosystem,
                package: o.package,
                vuln_id: o.vuln_id,
                advisory_id: o.advisory_id,
            });
        }
    }
    Ok(Some(out.into_iter().collect()))
}

fn glob(pattern: &str, s: &str) -> bool {
    fn go(p: &[u8], s: &[u8]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], s) || (!s.is_empty() && go(p, &s[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &s[1..]),
            (Some(a), Some(b)) if a.eq_ignore_ascii_case(b) => go(&p[1..], &s[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), s.as_bytes())
}

fn package_spec(p: &str) -> PackageSpec {
    let p = p.trim();
    if p.starts_with("pkg:") {
        match package_of_purl(p) {
            Some((eco, name)) => PackageSpec::Exact(eco, name),
            None => PackageSpec::Any,
        }
    } else if p.contains(['*', '?']) {
        PackageSpec::Glob(p.to_string())
    } else {
        PackageSpec::Exact(None, p.to_string())
    }
}

fn line_of(source: &str) -> usize {
    source
        .rsplit(':')
        .next()
        .and_then(|l| l.parse().ok())
        .unwrap_or(0)
}

fn policy_error(e: drydock_policy::PolicyError) -> TriageError {
    // drydock-policy's errors already name the file and line.
    TriageError::Invalid(e.to_string())
}

#[derive(Debug, Deserialize)]
struct RawGrype {
    #[serde(default)]
    ignore: Vec<Spanned<RawGrypeRule>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawGrypeRule {
    vulnerability: Option<String>,
    reason: Option<String>,
    package: Option<RawGrypePackage>,
    vex_status: Option<String>,
    vex_justification: Option<String>,
    fix_state: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawGrypePackage {
    name: Option<String>,
    #[serde(rename = "type")]
    ty: Option<String>,
    language: Option<String>,
    location: Option<String>,
}

/// Grype's package `type` / `language` as drydock's ecosystem.
fn grype_ecosystem(ty: Option<&str>, language: Option<&str>) -> Option<Ecosystem> {
    let e = match ty.or(language)?.to_ascii_lowercase().as_str() {
        "deb" => Ecosystem::Deb,
        "apk" => Ecosystem::Apk,
        "rpm" => Ecosystem::Rpm,
        "npm" | "javascript" => Ecosystem::Npm,
        "python" => Ecosystem::Pypi,
        "go-module" | "go" => Ecosystem::Golang,
        "java-archive" | "jenkins-plugin" | "java" => Ecosystem::Maven,
        "gem" | "ruby" => Ecosystem::Gem,
        "rust-crate" | "rust" => Ecosystem::Cargo,
        "dotnet" => Ecosystem::Nuget,
        "php-composer" | "php" => Ecosystem::Composer,
        _ => return None,
    };
    Some(e)
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

fn read_grype(text: &str, file: &str) -> Result<(Vec<Rule>, Vec<String>), TriageError> {
    let raw: RawGrype = serde_saphyr::from_str(text).map_err(|e| TriageError::Parse {
        file: file.into(),
        line: e.location().map(|l| l.line() as usize).unwrap_or(0),
        message: e.to_string().lines().next().unwrap_or_default().to_string(),
    })?;
    let mut rules = Vec::new();
    let mut skipped = Vec::new();
    for r in raw.ignore {
        let line = r.referenced.line() as usize;
        let r = r.value;
        let source = format!("{file}:{line}");
        let Some(vuln) = non_empty(r.vulnerability) else {
            skipped.push(format!(
                "{source}: a rule without `vulnerability`{} cannot become a triage record",
                r.fix_state
                    .map(|f| format!(" (fix-state `{f}`)"))
                    .unwrap_or_default()
            ));
            continue;
        };
        let pkg = r.package.as_ref();
        let name = pkg.and_then(|p| non_empty(p.name.clone()));
        let eco = pkg.and_then(|p| grype_ecosystem(p.ty.as_deref(), p.language.as_deref()));
        let (state, justification) = match r.vex_status.as_deref() {
            Some("not_affected") => (State::NotAffected, non_empty(r.vex_justification)),
            _ => (State::Accepted, None),
        };
        rules.push(Rule {
            source,
            line,
            vuln_id: vuln,
            package: match name {
                Some(n) if n.contains(['*', '?']) => PackageSpec::Glob(n),
                Some(n) => PackageSpec::Exact(eco, n),
                None => PackageSpec::Any,
            },
            images: Vec::new(),
            state,
            justification,
            reason: non_empty(r.reason),
            expires: None,
            approver: None,
            paths: pkg
                .and_then(|p| non_empty(p.location.clone()))
                .into_iter()
                .collect(),
        });
    }
    Ok((rules, skipped))
}

/// Reads an ignore file into rules (and, one line each, entries that cannot become records).
pub fn read(
    text: &str,
    file: &str,
    kind: IgnoreKind,
) -> Result<(Vec<Rule>, Vec<String>), TriageError> {
    let format = match kind {
        IgnoreKind::Grype => return read_grype(text, file),
        IgnoreKind::Drydock => IgnoreFormat::Drydock,
        IgnoreKind::Trivy => IgnoreFormat::TrivyPlain,
        IgnoreKind::TrivyYaml => IgnoreFormat::TrivyYaml,
    };
    let parsed = IgnoreFile::parse(text, file, format).map_err(policy_error)?;
    let rules = parsed
        .entries
        .into_iter()
        .map(|e| Rule {
            line: line_of(&e.source),
            source: e.source,
            vuln_id: e.id,
            // Several package patterns: one rule each is what `to_triage` expands anyway.
            package: match e.packages.as_slice() {
                [] => PackageSpec::Any,
                [one] => package_spec(one),
                _ => PackageSpec::Glob("*".into()),
            },
            images: Vec::new(),
            state: State::Accepted,
            justification: None,
            reason: e.reason,
            expires: e.expires,
            approver: None,
            paths: e.paths,
        })
        .collect();
    Ok((rules, Vec::new()))
}

/// What [`to_triage`] made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolved {
    pub records: Vec<Triage>,
    /// Rules that matched no finding of the run, one line each (not kept).
    pub unmatched: Vec<String>,
}

/// Turns rules into validated records. Packages the rules do not name exactly are looked up in
/// `observed` (the latest run); a rule that matches nothing there — or needs a lookup when
/// there is no run — is reported in [`Resolved::unmatched`]. Any invalid rule fails the whole
/// import (naming its file and line), so nothing is half-written.
pub fn to_triage(
    rules: &[Rule],
    scope: &ImportScope,
    observed: Option<&[Observed]>,
    d: &RuleDefaults,
) -> Result<Resolved, TriageError> {
    let mut out = Resolved::default();
    for r in rules {
        let vuln = normalize_vuln_id(&r.vuln_id);
        let file = r
            .source
            .rsplit_once(':')
            .map_or(r.source.clone(), |(f, _)| f.to_string());
        let in_scope = |o: &Observed| {
            let id_ok =
                o.vuln_id.eq_ignore_ascii_case(&vuln) || o.advisory_id.eq_ignore_ascii_case(&vuln);
            let repo_ok = match scope {
                ImportScope::Image(repo) => o.repository == *repo,
                _ => true,
            };
            let image_ok = r.images.is_empty()
                || r.images
                    .iter()
                    .any(|i| crate::handbook::names_repository(i, &o.repository));
            let pkg_ok = match &r.package {
                PackageSpec::Any => true,
                PackageSpec::Exact(eco, name) => {
                    o.package == *name && eco.is_none_or(|e| e.as_str() == o.ecosystem)
                }
                PackageSpec::Glob(g) => glob(g, &o.package),
            };
            id_ok && repo_ok && image_ok && pkg_ok
        };
        let hits: Vec<&Observed> = observed
            .unwrap_or_default()
            .iter()
            .filter(|o| in_scope(o))
            .collect();
        // (repository for a per-image scope, ecosystem, package, the id the run calls it).
        let mut targets: BTreeSet<(Option<String>, Option<String>, String, String)> =
            BTreeSet::new();
        let per_image = *scope == ImportScope::PerImage && !r.images.is_empty();
        match (&r.package, observed) {
            // An exact package needs no run unless the scope comes from the run's images.
            (PackageSpec::Exact(eco, name), None) if !per_image => {
                targets.insert((
                    None,
                    eco.map(|e| e.as_str().to_string()),
                    name.clone(),
                    vuln.clone(),
                ));
            }
            _ => {
                for o in &hits {
                    targets.insert((
                        per_image.then(|| o.repository.clone()),
                        Some(o.ecosystem.clone()),
                        o.package.clone(),
                        o.vuln_id.clone(),
                    ));
                }
            }
        }
        if targets.is_empty() {
            out.unmatched.push(format!(
                "{}: `{}` matches no finding {}",
                r.source,
                r.vuln_id,
                if observed.is_some() {
                    "of the store's latest run"
                } else {
                    "(the store has no complete run to look the package up in)"
                }
            ));
            continue;
        }
        for (repo, eco, package, vuln_id) in targets {
            let (scope_kind, repository, release) = match (scope, repo) {
                (_, Some(repo)) => ("image", Some(repo), None),
                (ImportScope::Image(repo), None) => ("image", Some(repo.clone()), None),
                (ImportScope::Release(rel), None) => ("release", None, Some(rel.clone())),
                (ImportScope::All | ImportScope::PerImage, None) => ("all", None, None),
            };
            let mut notes = format!("imported from {}", r.source);
            if !r.paths.is_empty() {
                notes.push_str(&format!(" (paths: {})", r.paths.join(", ")));
            }
            // A not_affected rule's justification is a complete reason, as in VEX.
            let reason = r
                .reason
                .clone()
                .or_else(|| {
                    r.justification
                        .clone()
                        .filter(|_| r.state == State::NotAffected)
                })
                .or_else(|| d.reason.clone());
            let needs_reason = r.state.needs_reason();
            if needs_reason && reason.is_none() {
                return Err(TriageError::Parse {
                    file: file.clone(),
                    line: r.line,
                    message: format!(
                        "`{}` has no reason (a `#` comment above it, `statement:`, `reason:` or a Details cell): write one, or give --reason for all such entries",
                        r.vuln_id
                    ),
                });
            }
            let expires = r
                .expires
                .or((r.state == State::Accepted).then_some(d.expires));
            let t = Triage::validate(
                TriageInput {
                    scope: scope_kind.into(),
                    repository,
                    release,
                    ecosystem: eco,
                    package,
                    vuln_id,
                    state: r.state.as_str().into(),
                    justification: r.justification.clone(),
                    reason,
                    notes: Some(notes),
                    approver: r.approver.clone(),
                    expires: expires.map(|e| e.to_string()),
                    ..TriageInput::default()
                },
                d.today,
            )
            .map_err(|e| e.at(&file, r.line))?;
            if !out.records.iter().any(|x| x.key() == t.key()) {
                out.records.push(t);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("musl*", "musl-utils"));
        assert!(glob("lib?ssl3", "libXssl3"));
        assert!(!glob("musl", "musl-utils"));
    }

    #[test]
    fn grype_rules() {
        let text = "ignore:\n  - vulnerability: CVE-2023-1\n    reason: not built\n    package:\n      name: libcurl\n      type: deb\n      location: /usr/lib/**\n  - fix-state: wont-fix\n  - vulnerability: GHSA-aaaa-bbbb-cccc\n    vex-status: not_affected\n    vex-justification: vulnerable_code_not_present\n";
        let (rules, skipped) = read(text, ".grype.yaml", IgnoreKind::Grype).expect("parses");
        assert_eq!(rules.len(), 2);
        assert_eq!(skipped.len(), 1);
        assert_eq!(
            rules[0].package,
            PackageSpec::Exact(Some(Ecosystem::Deb), "libcurl".into())
        );
        assert_eq!(rules[0].line, 2);
        assert_eq!(rules[1].state, State::NotAffected);
        assert!(read("ignore: [", ".grype.yaml", IgnoreKind::Grype).is_err());
    }
}
