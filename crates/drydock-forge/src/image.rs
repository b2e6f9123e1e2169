//! What one image's issue should say, from a run in the store: the rows (findings not triaged
//! out), the triaged ones, the labels, the title, the block within the body limit.
//!
//! An issue tracks an image **repository** (`registry/path`, no tag): finding identity is per
//! repository, so the tags of one repository in a run (a release listing `app:1.0`, another
//! `app:2.0`) share one issue whose title names them.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};

use drydock_match::Severity;
use drydock_store::{Observation, Run, ScanStatus, Store};

use crate::ForgeError;
use crate::body::{cell, sha256_hex};
use crate::forge::LabelSpec;
use crate::triage::{Suppression, TriageSource};

/// The label every image issue carries.
pub const REPORT_LABEL: &str = "cve-report";
/// The label of an issue with a CRITICAL row.
pub const CRITICAL_LABEL: &str = "critical-cves";

/// A severity from the store's text; anything unknown ranks lowest.
pub fn severity(s: &str) -> Severity {
    Severity::parse_loose(s).unwrap_or(Severity::Unknown)
}

/// One table row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub id: String,
    pub title: String,
    pub package: String,
    pub installed: String,
    pub fixed: Option<String>,
    pub severity: Severity,
    pub url: String,
}

/// A finding left out of the table, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriagedRow {
    pub id: String,
    pub package: String,
    pub suppression: Suppression,
}

/// How the image fared in the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scan {
    /// Scanned: its rows (sorted: CRITICAL first, then id, then package) and triaged findings.
    Scanned {
        rows: Vec<Row>,
        triaged: Vec<TriagedRow>,
    },
    /// At least one of its references failed to scan: what it has is unknown, not gone.
    Failed { error: String },
}

/// One image repository of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub repository: String,
    /// The references (with tags) of the repository in the run, sorted.
    pub references: Vec<String>,
    pub releases: BTreeSet<String>,
    pub sources: BTreeSet<String>,
    pub scan: Scan,
}

impl Target {
    /// `sha256(repository)`: the issue's lookup key.
    pub fn key(&self) -> String {
        sha256_hex(&self.repository)
    }

    /// `[CVE Report]: <image:tag>` (several tags: listed, the rest counted).
    pub fn title(&self) -> String {
        let refs = match self.references.len() {
            0 => self.repository.clone(),
            1..=3 => self.references.join(", "),
            n => format!("{} (+{} more)", self.references[..3].join(", "), n - 3),
        };
        format!("[CVE Report]: {refs}")
    }

    pub fn rows(&self) -> &[Row] {
        match &self.scan {
            Scan::Scanned { rows, .. } => rows,
            Scan::Failed { .. } => &[],
        }
    }

    /// The labels: `cve-report`, `critical-cves` when a row is CRITICAL, `cve/<release>` per
    /// release, `cve/<source>` per source (a chart's `:version` dropped). Sorted.
    pub fn labels(&self) -> Vec<String> {
        let mut l = BTreeSet::new();
        l.insert(REPORT_LABEL.to_string());
        if self.rows().iter().any(|r| r.severity == Severity::Critical) {
            l.insert(CRITICAL_LABEL.to_string());
        }
        for r in &self.releases {
            l.insert(label_name(&format!("cve/{r}")));
        }
        for s in &self.sources {
            let s = s.split(':').next().unwrap_or(s);
            if !s.is_empty() {
                l.insert(label_name(&format!("cve/{s}")));
            }
        }
        l.into_iter().collect()
    }
}

/// Forges cap label names at 50 characters (GitHub); commas split GitLab's label lists.
fn label_name(s: &str) -> String {
    s.replace(',', "_").chars().take(50).collect()
}

/// The colour and description of a label drydock creates.
pub fn label_spec(name: &str) -> LabelSpec {
    let (color, description) = match name {
        REPORT_LABEL => (
            "d73a4a",
            "Vulnerabilities found by drydock in an image".to_string(),
        ),
        CRITICAL_LABEL => (
            "b60205",
            "The image has a CRITICAL vulnerability".to_string(),
        ),
        n if n.starts_with("cve/") => (
            "c5def5",
            format!("drydock: images of {}", n.trim_start_matches("cve/")),
        ),
        _ => (
            "e11d21",
            "Security scan regressions filed by drydock".to_string(),
        ),
    };
    LabelSpec {
        name: name.to_string(),
        color: color.to_string(),
        description: description.chars().take(100).collect(),
    }
}

/// Sorts rows: CRITICAL first (a real ordering, not text), then id, then package.
pub fn sort_rows(rows: &mut [Row]) {
    rows.sort_by(|a, b| {
        (Reverse(a.severity), &a.id, &a.package).cmp(&(Reverse(b.severity), &b.id, &b.package))
    });
}

/// The images of a run, grouped by repository, with their rows.
pub fn targets(
    store: &mut Store,
    run: &Run,
    triage: &dyn TriageSource,
) -> Result<Vec<Target>, ForgeError> {
    let scans = store.images(run.seq)?;
    let mut by_repo: BTreeMap<String, Vec<drydock_store::ImageScan>> = BTreeMap::new();
    for s in scans {
        by_repo.entry(s.repository.clone()).or_default().push(s);
    }
    let mut out = Vec::with_capacity(by_repo.len());
    for (repository, scans) in by_repo {
        let mut references: Vec<String> = scans.iter().map(|s| s.reference.clone()).collect();
        references.sort();
        references.dedup();
        let releases: BTreeSet<String> = scans
            .iter()
            .flat_map(|s| s.releases.iter().map(|(r, _)| r.clone()))
            .collect();
        let sources: BTreeSet<String> = scans.iter().flat_map(|s| s.sources.clone()).collect();
        let failed: Vec<String> = scans
            .iter()
            .filter(|s| s.status == ScanStatus::Failed)
            .map(|s| {
                format!(
                    "{}: {}",
                    s.reference,
                    s.error.as_deref().unwrap_or("scan failed")
                )
            })
            .collect();
        let scan = if !failed.is_empty() {
            Scan::Failed {
                error: failed.join("; "),
            }
        } else {
            let mut merged: BTreeMap<String, Observation> = BTreeMap::new();
            for s in &scans {
                for o in store.observations(run.seq, &s.reference)? {
                    merged
                        .entry(o.fingerprint.clone())
                        .and_modify(|prev| {
                            if severity(&o.severity) > severity(&prev.severity) {
                                *prev = o.clone();
                            }
                        })
                        .or_insert(o);
                }
            }
            let ids: Vec<String> = merged
                .values()
                .map(|o| o.vuln_id.clone())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let vulns = store.vulns(&ids)?;
            let release_list: Vec<String> = releases.iter().cloned().collect();
            let mut rows = Vec::new();
            let mut triaged = Vec::new();
            for o in merged.values() {
                if let Some(s) = triage.suppression(&repository, &release_list, o) {
                    triaged.push(TriagedRow {
                        id: o.vuln_id.clone(),
                        package: o.package.clone(),
                        suppression: s,
                    });
                    continue;
                }
                let v = vulns.get(&o.vuln_id);
                rows.push(Row {
                    id: o.vuln_id.clone(),
                    title: v.and_then(|v| v.title.clone()).unwrap_or_default(),
                    package: o.package.clone(),
                    installed: o.installed.clone(),
                    fixed: o.fixed.clone(),
                    severity: severity(&o.severity),
                    url: v
                        .and_then(|v| v.url.clone())
                        .unwrap_or_else(|| default_url(&o.vuln_id)),
                });
            }
            sort_rows(&mut rows);
            triaged.sort_by(|a, b| (&a.id, &a.package).cmp(&(&b.id, &b.package)));
            Scan::Scanned { rows, triaged }
        };
        out.push(Target {
            repository,
            references,
            releases,
            sources,
            scan,
        });
    }
    Ok(out)
}

/// A page about the vulnerability when the advisory gave none.
pub fn default_url(id: &str) -> String {
    if id.starts_with("CVE-") {
        format!("https://nvd.nist.gov/vuln/detail/{id}")
    } else if id.starts_with("GHSA-") {
        format!("https://github.com/advisories/{id}")
    } else {
        format!("https://osv.dev/vulnerability/{id}")
    }
}

const HEADER: &str = "| Vulnerability ID | Title | Package Name | Fixed Version | Severity | URL |\n|---|---|---|---|---|---|\n";

fn row_line(r: &Row) -> String {
    format!(
        "| {} | {} | {} | {} | {} | {} |\n",
        cell(&r.id, 80),
        cell(&r.title, 120),
        cell(&r.package, 100),
        cell(r.fixed.as_deref().unwrap_or(""), 80),
        r.severity,
        cell(&r.url, 300),
    )
}

/// The block for a scanned target, at most `budget` characters: when the table does not fit,
/// the lowest-severity rows go first and a line says how many and where the full list is.
/// Holds nothing that changes from run to run by itself (no run id, no time), so an image
/// whose findings did not change gets the same block and no write.
pub fn render_content(target: &Target, budget: usize, full_report: &str) -> String {
    let Scan::Scanned { rows, triaged } = &target.scan else {
        return String::new();
    };
    let mut head = String::new();
    let refs: Vec<String> = target.references.iter().map(|r| format!("`{r}`")).collect();
    head.push_str(&format!("**Image:** {}", refs.join(", ")));
    if !target.releases.is_empty() {
        let rel: Vec<&str> = target.releases.iter().map(String::as_str).collect();
        head.push_str(&format!(" · **Releases:** {}", rel.join(", ")));
    }
    head.push_str("\n\n");
    if rows.is_empty() {
        head.push_str("No vulnerabilities left: this issue is closed.\n");
    } else {
        let counts = severity_counts(rows);
        head.push_str(&format!("**{} vulnerabilities:** {counts}\n\n", rows.len()));
    }
    let mut tail = String::new();
    if !triaged.is_empty() {
        tail.push_str(&format!(
            "\n<details><summary>Triaged: {} finding(s) left out of the table</summary>\n\n| Vulnerability ID | Package Name | State | Reason |\n|---|---|---|---|\n",
            triaged.len()
        ));
        for t in triaged {
            let reason = match &t.suppression.expires {
                Some(e) => format!("{} (until {e})", t.suppression.reason),
                None => t.suppression.reason.clone(),
            };
            tail.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                cell(&t.id, 80),
                cell(&t.package, 100),
                cell(&t.suppression.state, 40),
                cell(&reason, 200)
            ));
        }
        tail.push_str("\n</details>\n");
    }
    let chars = |s: &str| s.chars().count();
    // The triaged list gives way before any row does.
    if chars(&head) + chars(&tail) > budget / 2 {
        tail = format!(
            "\n_{} triaged finding(s) not listed (size limit)._\n",
            triaged.len()
        );
    }
    if rows.is_empty() {
        return format!("{head}{tail}").trim_end().to_string();
    }
    let lines: Vec<String> = rows.iter().map(row_line).collect();
    let omitted_line = |n: usize| {
        format!(
            "\n_{n} lower-severity row(s) omitted to fit the forge's size limit; the full list: {full_report}_\n"
        )
    };
    let fixed = chars(&head) + chars(HEADER) + chars(&tail);
    let mut kept = lines.len();
    let mut total = fixed + lines.iter().map(|l| chars(l)).sum::<usize>();
    let note = |kept: usize| {
        if kept < lines.len() {
            chars(&omitted_line(lines.len() - kept))
        } else {
            0
        }
    };
    while kept > 0 && total + note(kept) > budget {
        kept -= 1;
        total -= chars(&lines[kept]);
    }
    let mut out = head;
    out.push_str(HEADER);
    for l in &lines[..kept] {
        out.push_str(l);
    }
    if kept < lines.len() {
        out.push_str(&omitted_line(lines.len() - kept));
    }
    out.push_str(&tail);
    out.trim_end().to_string()
}

/// `2 CRITICAL, 1 HIGH`.
pub fn severity_counts(rows: &[Row]) -> String {
    let mut by: BTreeMap<Reverse<Severity>, usize> = BTreeMap::new();
    for r in rows {
        *by.entry(Reverse(r.severity)).or_default() += 1;
    }
    by.iter()
        .map(|(s, n)| format!("{n} {}", s.0))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, sev: Severity) -> Row {
        Row {
            id: id.into(),
            title: "t".into(),
            package: "p".into(),
            installed: "1".into(),
            fixed: None,
            severity: sev,
            url: "u".into(),
        }
    }

    #[test]
    fn critical_sorts_before_high_whatever_the_text() {
        let mut rows = vec![
            row("CVE-2", Severity::High),
            row("CVE-9", Severity::Low),
            row("CVE-3", Severity::Critical),
            row("CVE-1", Severity::High),
        ];
        sort_rows(&mut rows);
        let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["CVE-3", "CVE-1", "CVE-2", "CVE-9"]);
    }

    #[test]
    fn a_long_table_is_cut_from_the_lowest_severity() {
        let mut rows: Vec<Row> = (0..2000)
            .map(|i| {
                row(
                    &format!("CVE-2024-{i:05}"),
                    if i < 10 {
                        Severity::Critical
                    } else {
                        Severity::Low
                    },
                )
            })
            .collect();
        sort_rows(&mut rows);
        let t = Target {
            repository: "r".into(),
            references: vec!["r:1".into()],
            releases: BTreeSet::new(),
            sources: BTreeSet::new(),
            scan: Scan::Scanned {
                rows,
                triaged: vec![],
            },
        };
        let c = render_content(&t, 20_000, "`drydock history show r`");
        assert!(c.chars().count() <= 20_000, "{}", c.chars().count());
        assert!(c.contains("CVE-2024-00009"), "criticals kept");
        assert!(c.contains("row(s) omitted"));
        let omitted: usize = c
            .split("\n_")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .and_then(|n| n.parse().ok())
            .expect("a count");
        let shown = c.matches("| LOW |").count() + c.matches("| CRITICAL |").count();
        assert_eq!(shown + omitted, 2000);
    }
}
