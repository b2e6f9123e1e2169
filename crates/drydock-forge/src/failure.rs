//! The issue a failing CI scan files (`drydock image … --on-fail-issue github:org/repo`).
//!
//! One issue per (image repository, failure kind), found by its marker's key among the open
//! issues the token's user authored with the label (default `security`); a repeat adds a
//! comment instead of a second issue. The primary finding is the most severe (a real
//! ordering: CRITICAL beats HIGH), then the highest CVSS base score, then the smallest id.

use std::cmp::Reverse;

use drydock_match::{Severity, identity};
use drydock_policy::{Decision, Verdict};
use drydock_report::Report;

use crate::ForgeError;
use crate::body::{self, Marker, NOTES, cell, render_region};
use crate::forge::{CloseReason, Forge, Issue, IssueState, IssueUpdate, NewIssue};
use crate::image::label_spec;

/// How the failure issue is written.
#[derive(Debug, Clone)]
pub struct FailureOptions {
    /// The label it carries and is found by.
    pub label: String,
    /// The CI run, when known ([`ci_run_url`]).
    pub run_url: Option<String>,
    /// The most findings listed in the table (the rest are counted).
    pub max_rows: usize,
}

impl Default for FailureOptions {
    fn default() -> Self {
        FailureOptions {
            label: "security".into(),
            run_url: None,
            max_rows: 100,
        }
    }
}

/// The finding a failure issue is named after.
#[derive(Debug, Clone, PartialEq)]
pub struct Primary {
    pub id: String,
    pub package: String,
    pub installed: String,
    pub fixed: Option<String>,
    pub severity: Severity,
    pub cvss: Option<f64>,
    pub title: Option<String>,
    pub url: Option<String>,
}

/// A failure issue, ready to file.
#[derive(Debug, Clone)]
pub struct FailureIssue {
    pub key: String,
    /// `vulnerabilities` (findings failed the gate) or `warnings` (advisory warnings did).
    pub kind: String,
    pub image: String,
    pub title: String,
    /// The full body of a new issue (marker, block, notes).
    pub body: String,
    /// The comment a repeat adds.
    pub comment: String,
    pub labels: Vec<String>,
    pub primary: Option<Primary>,
    pub findings: usize,
}

/// What filing did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filed {
    Created(u64),
    Commented(u64),
}

/// The CI run's URL: GitHub Actions (`GITHUB_SERVER_URL`/`GITHUB_REPOSITORY`/`GITHUB_RUN_ID`)
/// or GitLab CI (`CI_JOB_URL`), read through `env` (tests pass a map).
pub fn ci_run_url(env: impl Fn(&str) -> Option<String>) -> Option<String> {
    let get = |k: &str| env(k).filter(|v| !v.trim().is_empty());
    if let (Some(server), Some(repo), Some(run)) = (
        get("GITHUB_SERVER_URL"),
        get("GITHUB_REPOSITORY"),
        get("GITHUB_RUN_ID"),
    ) {
        return Some(format!(
            "{}/{repo}/actions/runs/{run}",
            server.trim_end_matches('/')
        ));
    }
    get("CI_JOB_URL")
}

fn max_cvss(d: &Decision) -> Option<f64> {
    d.finding
        .cvss
        .iter()
        .map(|c| c.base_score)
        .max_by(|a, b| a.total_cmp(b))
}

/// Sorts most severe first, then highest CVSS, then id, then package.
fn rank(a: &Decision, b: &Decision) -> std::cmp::Ordering {
    let sa = max_cvss(a).unwrap_or(-1.0);
    let sb = max_cvss(b).unwrap_or(-1.0);
    Reverse(a.finding.severity)
        .cmp(&Reverse(b.finding.severity))
        .then(sb.total_cmp(&sa))
        .then(a.finding.id.cmp(&b.finding.id))
        .then(a.finding.package.cmp(&b.finding.package))
}

fn image_repository(name: &str) -> String {
    let looks_like_path = name.starts_with('/')
        || name.starts_with('.')
        || [".tar", ".tar.gz", ".tgz", ".tar.zst"]
            .iter()
            .any(|e| name.ends_with(e));
    if looks_like_path {
        identity::repository_of_path(name)
    } else {
        identity::repository(name)
    }
}

/// The failure kinds an issue is filed for.
const KINDS: [&str; 2] = ["vulnerabilities", "warnings"];

/// One issue per (place, image repository, failure kind).
fn failure_key(forge_repository: &str, image: &str, kind: &str) -> String {
    body::sha256_hex(&format!("failure\n{forge_repository}\n{image}\n{kind}"))
}

/// The failure issue for a report whose gate failed; `None` when the gate passed (or none was
/// asked for). `forge_repository` is where it goes (part of the key: one issue per place).
pub fn failure_issue(
    report: &Report,
    forge_repository: &str,
    opts: &FailureOptions,
) -> Option<FailureIssue> {
    let gate = report.gate.as_ref()?;
    if !gate.failed {
        return None;
    }
    let target = report.targets.first()?;
    let image = image_repository(&target.name);
    let mut failing: Vec<&Decision> = report
        .targets
        .iter()
        .flat_map(|t| t.findings.iter())
        .filter(|d| d.verdict == Verdict::Fail)
        .collect();
    let kind = if failing.is_empty() {
        KINDS[1]
    } else {
        KINDS[0]
    };
    failing.sort_by(|a, b| rank(a, b));
    failing.dedup_by(|a, b| a.finding.id == b.finding.id && a.finding.package == b.finding.package);
    let primary = failing.first().map(|d| Primary {
        id: d.finding.id.clone(),
        package: d.finding.package.clone(),
        installed: d.finding.installed.clone(),
        fixed: d.finding.fixed.clone(),
        severity: d.finding.severity,
        cvss: max_cvss(d),
        title: d.finding.title.clone(),
        url: d.finding.primary_url.clone(),
    });
    let key = failure_key(forge_repository, &image, kind);
    let title = match &primary {
        Some(p) => format!(
            "security scan regression: {} in {}@{}",
            p.id, p.package, p.installed
        ),
        None => format!("security scan regression: advisory warnings in {image}"),
    };
    let run = opts
        .run_url
        .clone()
        .unwrap_or_else(|| "(not run in CI: no run URL)".into());
    let mut c = String::new();
    c.push_str("## Security scan regression\n\n");
    c.push_str(&format!("**Image:** `{}`", target.name));
    if let Some(d) = &target.digest {
        c.push_str(&format!(" (`{d}`)"));
    }
    c.push_str(&format!(
        "\n**Scanner:** {} {}\n**Gate:** {}\n**Run:** {run}\n\n",
        report.tool.name,
        report.tool.version,
        match gate.fail_on {
            Some(s) => format!("fail on {s} and above; {} finding(s) counted", gate.counted),
            None => format!("{} finding(s) counted", gate.counted),
        }
    ));
    if let Some(p) = &primary {
        c.push_str("### Primary finding\n\n");
        c.push_str(&format!(
            "**{}** ({}{}) in `{}` {}",
            p.id,
            p.severity,
            p.cvss.map(|s| format!(", CVSS {s:.1}")).unwrap_or_default(),
            p.package,
            p.installed
        ));
        match &p.fixed {
            Some(f) => c.push_str(&format!(", fixed in {f}")),
            None => c.push_str(", no fix yet"),
        }
        if let Some(t) = &p.title {
            c.push_str(&format!(": {}", cell(t, 200)));
        }
        if let Some(u) = &p.url {
            c.push_str(&format!("\n{u}"));
        }
        c.push_str("\n\n");
    }
    c.push_str(&format!("### All findings ({})\n\n", failing.len()));
    if !failing.is_empty() {
        c.push_str("| Severity | Vulnerability ID | Package | Installed | Fixed |\n|---|---|---|---|---|\n");
        for d in failing.iter().take(opts.max_rows) {
            c.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                d.finding.severity,
                cell(&d.finding.id, 80),
                cell(&d.finding.package, 100),
                cell(&d.finding.installed, 80),
                cell(d.finding.fixed.as_deref().unwrap_or("no fix"), 80)
            ));
        }
        if failing.len() > opts.max_rows {
            c.push_str(&format!(
                "\n_…and {} more: see the run's report._\n",
                failing.len() - opts.max_rows
            ));
        }
    }
    c.push_str(
        "\n### Triage\n\n- [ ] Upgrade the affected package(s) to a fixed version, or rebuild on an updated base image\n- [ ] Not affected or an accepted risk? Record it with a reason and an expiry (drydock ignore file or `drydock triage set`)\n- [ ] Check that the next scheduled run is green\n- [ ] Close this issue\n",
    );
    let content = c.trim_end().to_string();
    let marker = Marker {
        kind: "failure".into(),
        subject: format!("{image} {kind}"),
        key: key.clone(),
        digest: body::sha256_hex(&content),
        state: "open".into(),
    };
    let body = format!("{}{NOTES}", render_region(&marker, &content));
    let comment = format!(
        "The scan failed again: {} finding(s){}.\n\n**Run:** {run}",
        failing.len(),
        primary
            .as_ref()
            .map(|p| format!(
                "; primary {} ({}) in `{}` {}",
                p.id, p.severity, p.package, p.installed
            ))
            .unwrap_or_default()
    );
    Some(FailureIssue {
        key,
        kind: kind.to_string(),
        image,
        title,
        body,
        comment,
        labels: vec![opts.label.clone()],
        primary,
        findings: failing.len(),
    })
}

/// drydock's open failure issues carrying `label` whose marker key is one of `keys`, oldest
/// first (a marker pasted by someone else does not count).
fn open_failure_issues(
    forge: &mut dyn Forge,
    label: Option<&str>,
    keys: &[String],
) -> Result<Vec<Issue>, ForgeError> {
    let me = forge.me()?;
    let mut open: Vec<Issue> = forge
        .list_issues(label, &me)?
        .into_iter()
        .filter(|i| i.state == IssueState::Open && i.author.eq_ignore_ascii_case(&me))
        .filter(|i| {
            Marker::find(&i.body).is_some_and(|m| m.kind == "failure" && keys.contains(&m.key))
        })
        .collect();
    open.sort_by(|a, b| (&a.created_at, a.number).cmp(&(&b.created_at, b.number)));
    Ok(open)
}

/// Closes the open failure issues of a report whose gate **passed** (every failure kind of its
/// image), each with a comment naming the run; returns their numbers. Nothing when the gate
/// failed or none was asked for.
pub fn resolve_failure_issues(
    forge: &mut dyn Forge,
    report: &Report,
    forge_repository: &str,
    opts: &FailureOptions,
) -> Result<Vec<u64>, ForgeError> {
    let (Some(gate), Some(target)) = (report.gate.as_ref(), report.targets.first()) else {
        return Ok(Vec::new());
    };
    if gate.failed {
        return Ok(Vec::new());
    }
    let image = image_repository(&target.name);
    let keys: Vec<String> = KINDS
        .iter()
        .map(|k| failure_key(forge_repository, &image, k))
        .collect();
    let run = opts
        .run_url
        .clone()
        .unwrap_or_else(|| "(not run in CI: no run URL)".into());
    let mut closed = Vec::new();
    for i in open_failure_issues(forge, Some(&opts.label), &keys)? {
        forge.comment(
            i.number,
            &format!("The scan passed its gate again: closing.\n\n**Run:** {run}"),
        )?;
        forge.update_issue(
            i.number,
            &IssueUpdate {
                state: Some(Some(CloseReason::Completed)),
                ..IssueUpdate::default()
            },
        )?;
        closed.push(i.number);
    }
    Ok(closed)
}

/// Files the issue: a comment on the open one with the same key, else a new issue.
pub fn file_failure_issue(
    forge: &mut dyn Forge,
    issue: &FailureIssue,
) -> Result<Filed, ForgeError> {
    let label = issue.labels.first().map(String::as_str);
    let open = open_failure_issues(forge, label, std::slice::from_ref(&issue.key))?
        .into_iter()
        .next();
    if let Some(i) = open {
        forge.comment(i.number, &issue.comment)?;
        return Ok(Filed::Commented(i.number));
    }
    let specs: Vec<_> = issue.labels.iter().map(|l| label_spec(l)).collect();
    forge.ensure_labels(&specs)?;
    let created = forge.create_issue(&NewIssue {
        title: issue.title.clone(),
        body: issue.body.clone(),
        labels: issue.labels.clone(),
    })?;
    Ok(Filed::Created(created.number))
}
