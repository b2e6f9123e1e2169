//! What ignore files, VEX documents and triage kept out of a report, per source, for the
//! summaries of the table, Markdown and HTML reports: `3 findings ignored by `.trivyignore` (2
//! rules); 1 rule matched nothing`, then one line per rule with its reason.
//!
//! A Trivy user gets a hint that something was ignored; drydock says how much, by which file,
//! which rules did it and why, and which rules no longer match anything.

use std::collections::BTreeMap;

use drydock_policy::{PolicyNoticeKind, Verdict, source_file};

use crate::model::Report;

/// One source of suppressions: an ignore file, a VEX document, the triage store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SuppressionSource {
    /// The file (`./.trivyignore`), or the source as the decision names it (`vex.json`).
    pub file: String,
    /// Whether the source has rules with line numbers (an ignore file).
    pub ignore_file: bool,
    /// Findings suppressed, over all targets.
    pub findings: usize,
    /// The rules that suppressed, by `file:line`.
    pub rules: BTreeMap<String, RuleUse>,
    /// Rules that matched no finding.
    pub unused: usize,
    /// Rules whose expiry date has passed (they no longer suppress).
    pub expired: usize,
}

/// What one rule suppressed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RuleUse {
    /// The advisory ids it suppressed, in report order, distinct.
    pub ids: Vec<String>,
    pub findings: usize,
    pub reason: Option<String>,
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl SuppressionSource {
    /// `3 findings ignored by `.trivyignore` (2 rules); 1 rule matched nothing`.
    pub fn line(&self) -> String {
        if !self.ignore_file {
            return format!(
                "{} suppressed by `{}`",
                plural(self.findings, "finding", "findings"),
                self.file
            );
        }
        let mut line = format!(
            "{} ignored by `{}` ({})",
            plural(self.findings, "finding", "findings"),
            self.file,
            plural(self.rules.len(), "rule", "rules")
        );
        if self.unused > 0 {
            line.push_str(&format!(
                "; {} matched nothing",
                plural(self.unused, "rule", "rules")
            ));
        }
        if self.expired > 0 {
            line.push_str(&format!(
                "; {} expired and no longer {}",
                plural(self.expired, "rule", "rules"),
                if self.expired == 1 {
                    "suppresses"
                } else {
                    "suppress"
                }
            ));
        }
        line
    }
}

impl RuleUse {
    /// `CVE-2019-14697 (2 findings): musl's x87 code is not built`.
    pub fn line(&self) -> String {
        format!(
            "{} ({}): {}",
            self.ids.join(", "),
            plural(self.findings, "finding", "findings"),
            self.reason.as_deref().unwrap_or("no reason given")
        )
    }
}

/// The source a `suppressed_by` names, and whether it is made of numbered rules:
/// `.trivyignore:4` → `.trivyignore`, `triage #12` → `triage`, `vex.json` stays.
fn source_of(by: &str) -> (String, bool) {
    let file = source_file(by);
    if file != by {
        return (file.to_string(), true);
    }
    match by.rsplit_once(" #") {
        Some((head, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
            (head.to_string(), true)
        }
        _ => (by.to_string(), false),
    }
}

/// The suppression sources of `report`, by file name; empty when nothing was suppressed and
/// no ignore-file rule is unused or expired.
pub(crate) fn summarize(report: &Report) -> Vec<SuppressionSource> {
    let mut by_file: BTreeMap<String, SuppressionSource> = BTreeMap::new();
    fn source<'m>(
        by_file: &'m mut BTreeMap<String, SuppressionSource>,
        by: &str,
    ) -> &'m mut SuppressionSource {
        let (file, ignore_file) = source_of(by);
        by_file
            .entry(file.clone())
            .or_insert_with(|| SuppressionSource {
                ignore_file,
                file,
                ..SuppressionSource::default()
            })
    }
    for d in report.targets.iter().flat_map(|t| &t.findings) {
        let (Verdict::Suppressed, Some(by)) = (d.verdict, d.suppressed_by.as_deref()) else {
            continue;
        };
        let s = source(&mut by_file, by);
        s.findings += 1;
        let rule = s.rules.entry(by.to_string()).or_default();
        rule.findings += 1;
        if !rule.ids.contains(&d.finding.id) {
            rule.ids.push(d.finding.id.clone());
        }
        if rule.reason.is_none() {
            rule.reason = d.reason.clone();
        }
    }
    for n in &report.policy_notices {
        match n.kind {
            PolicyNoticeKind::Unused => source(&mut by_file, &n.source).unused += 1,
            PolicyNoticeKind::Expired => source(&mut by_file, &n.source).expired += 1,
            _ => {}
        }
    }
    by_file.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_count_findings_rules_and_unused_rules() {
        let mut s = SuppressionSource {
            file: ".trivyignore".into(),
            ignore_file: true,
            findings: 3,
            unused: 1,
            ..SuppressionSource::default()
        };
        for (at, n) in [(".trivyignore:2", 2), (".trivyignore:5", 1)] {
            s.rules.insert(
                at.into(),
                RuleUse {
                    ids: vec!["CVE-1".into()],
                    findings: n,
                    reason: None,
                },
            );
        }
        assert_eq!(
            s.line(),
            "3 findings ignored by `.trivyignore` (2 rules); 1 rule matched nothing"
        );
        assert_eq!(
            s.rules[".trivyignore:5"].line(),
            "CVE-1 (1 finding): no reason given"
        );
    }
}
