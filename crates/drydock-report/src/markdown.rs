//! `markdown`: what teams paste into a tracker issue: per target a heading, the severity
//! counts and a table of findings (or of packages, for an SBOM report), then a table each of
//! misconfigurations and secrets when they were scanned for. GitHub-flavoured
//! tables; every cell escaped so feed text cannot break the table or inject markup.

use std::fmt::Write as _;

use crate::WriteOptions;
use crate::escape::{link_url, markdown_cell as cell};
use crate::group::finding_groups;
use crate::model::{
    Report, ReportKind, TargetReport, finding_order, is_reported, location_paths, serde_name,
};

pub(crate) fn write(report: &Report, opts: &WriteOptions, out: &mut String) -> std::fmt::Result {
    for (i, t) in report.targets.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        heading(t, out)?;
        match report.kind {
            ReportKind::Sbom => packages(t, out)?,
            ReportKind::Vulnerability => findings(t, opts, out)?,
        }
    }
    let sources = crate::suppression::summarize(report);
    if !sources.is_empty() {
        writeln!(out, "\n### Suppressed\n")?;
        for s in &sources {
            writeln!(out, "- {}", cell(&s.line()))?;
            for (at, rule) in &s.rules {
                writeln!(out, "  - {}: {}", cell(at), cell(&rule.line()))?;
            }
        }
    }
    if !report.policy_notices.is_empty() {
        writeln!(out, "\n### Ignore-file notices\n")?;
        for n in &report.policy_notices {
            writeln!(
                out,
                "- **{}** `{}` ({}): {}",
                serde_name(&n.kind),
                n.id.replace('`', "'"),
                cell(&n.source),
                cell(&n.message)
            )?;
        }
    }
    if !report.errors.is_empty() {
        writeln!(out, "\n### Scan warnings\n")?;
        for w in &report.errors {
            writeln!(out, "- {}", cell(&w.to_string()))?;
        }
    }
    writeln!(
        out,
        "\n<sub>{} {} · {}</sub>",
        cell(&report.tool.name),
        cell(&report.tool.version),
        cell(&report.created_at)
    )
}

fn heading(t: &TargetReport, out: &mut String) -> std::fmt::Result {
    writeln!(out, "## {}\n", cell(&t.name))?;
    let mut facts = vec![format!("**Kind:** {}", cell(&t.kind))];
    if let Some(os) = &t.os {
        facts.push(format!(
            "**OS:** {} {}",
            cell(os.family.as_str()),
            cell(&os.version)
        ));
    }
    if let Some(p) = &t.platform {
        facts.push(format!("**Platform:** {}", cell(p)));
    }
    if let Some(d) = &t.digest {
        facts.push(format!("**Digest:** `{}`", d.replace('`', "'")));
    }
    writeln!(out, "{}\n", facts.join(" · "))
}

fn packages(t: &TargetReport, out: &mut String) -> std::fmt::Result {
    writeln!(out, "{} packages\n", t.packages.len())?;
    if t.packages.is_empty() {
        return Ok(());
    }
    writeln!(out, "| Ecosystem | Package | Version | Source | Path |")?;
    writeln!(out, "| --- | --- | --- | --- | --- |")?;
    for p in &t.packages {
        let pkg = &p.package;
        let source = pkg
            .source
            .as_ref()
            .map_or(String::new(), |s| s.name.clone());
        let path = location_paths(pkg);
        writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            pkg.ecosystem,
            cell(&pkg.name),
            cell(&pkg.version),
            cell(&source),
            cell(&path)
        )?;
    }
    Ok(())
}

/// `CRITICAL 1, HIGH 2, MEDIUM 0, LOW 0, UNKNOWN 0`, highest first.
pub(crate) fn counts_text<S: std::fmt::Display>(
    counts: &std::collections::BTreeMap<S, usize>,
) -> String {
    counts
        .iter()
        .rev()
        .map(|(s, n)| format!("{s} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `--scanners misconfig,secret`: a section each for misconfigurations and secrets, one row
/// per check result (the evidence's location, the fix hint).
fn checks(t: &TargetReport, opts: &WriteOptions, out: &mut String) -> std::fmt::Result {
    for (label, list) in crate::misconfig::sections(t, opts.show_suppressed) {
        writeln!(out, "### {label}\n")?;
        let reported = list.iter().filter(|e| e.is_reported()).count();
        writeln!(
            out,
            "Total: {reported} ({})\n",
            crate::misconfig::counts_text(&list)
        )?;
        let mut headers = vec!["ID", "Severity", "Location", "Title", "Fix"];
        if opts.show_suppressed {
            headers.push("Verdict");
        }
        writeln!(out, "| {} |", headers.join(" | "))?;
        writeln!(out, "|{}", " --- |".repeat(headers.len()))?;
        for e in list {
            let f = &e.finding;
            write!(
                out,
                "| {} | {} | {} | {} | {} |",
                cell(&f.id),
                f.severity,
                cell(&f.evidence.location()),
                cell(&f.title),
                cell(&f.fix)
            )?;
            if opts.show_suppressed {
                write!(out, " {} |", cell(&crate::misconfig::verdict_text(e)))?;
            }
            writeln!(out)?;
        }
        writeln!(out)?;
    }
    Ok(())
}

fn findings(t: &TargetReport, opts: &WriteOptions, out: &mut String) -> std::fmt::Result {
    let counts = t.severity_counts();
    let total: usize = counts.values().sum();
    writeln!(
        out,
        "**{total} {}** ({})\n",
        if total == 1 {
            "vulnerability"
        } else {
            "vulnerabilities"
        },
        counts_text(&counts)
    )?;
    if let Some(line) = t.coverage_notice() {
        writeln!(out, "> {}\n", cell(&line))?;
    }
    // As the table: one section per source (the OS packages, each lockfile or binary), each
    // with its count line and its findings, highest severity first.
    for group in finding_groups(t, opts.show_suppressed) {
        writeln!(out, "### {}\n", cell(&group.label))?;
        let mut rows = group.findings.clone();
        rows.sort_by(|a, b| finding_order(a, b));
        let mut counts = t.severity_counts();
        counts.values_mut().for_each(|n| *n = 0);
        for d in rows.iter().filter(|d| is_reported(d)) {
            *counts.entry(d.finding.severity).or_default() += 1;
        }
        writeln!(
            out,
            "Total: {} ({})\n",
            counts.values().sum::<usize>(),
            counts_text(&counts)
        )?;
        // Per-package installs (`Python (python-pkg)`) have no one path: each row says where.
        let with_path = group.path.is_none() && !group.is_os();
        let mut headers = vec![
            "Package",
            "Vulnerability",
            "Severity",
            "Status",
            "Installed",
            "Fixed",
        ];
        if with_path {
            headers.push("Path");
        }
        headers.push("Title");
        if opts.show_suppressed {
            headers.push("Verdict");
        }
        writeln!(out, "| {} |", headers.join(" | "))?;
        writeln!(out, "|{}", " --- |".repeat(headers.len()))?;
        for d in rows {
            let f = &d.finding;
            let id = match f.primary_url.as_deref().and_then(link_url) {
                Some(url) => format!("[{}]({url})", cell(&f.id)),
                None => cell(&f.id),
            };
            write!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                cell(&f.package),
                id,
                f.severity,
                f.status.as_str(),
                cell(&f.installed),
                cell(f.fixed.as_deref().unwrap_or("")),
            )?;
            if with_path {
                let path = f.locations.first().map_or("", |l| l.path.as_str());
                write!(out, " {} |", cell(path))?;
            }
            write!(out, " {} |", cell(crate::model::display_title(f)))?;
            if opts.show_suppressed {
                let mut verdict = serde_name(&d.verdict);
                if !is_reported(d) {
                    if let Some(r) = &d.reason {
                        verdict.push_str(": ");
                        verdict.push_str(r);
                    }
                    if let Some(e) = &d.expires {
                        verdict.push_str(&format!(" (expires {e})"));
                    }
                }
                write!(out, " {} |", cell(&verdict))?;
            }
            writeln!(out)?;
        }
        writeln!(out)?;
    }
    checks(t, opts, out)?;
    let hidden =
        t.findings.iter().filter(|d| !is_reported(d)).count() + crate::misconfig::hidden(t);
    if hidden > 0 && !opts.show_suppressed {
        let noun = if hidden == 1 { "finding" } else { "findings" };
        writeln!(out, "{hidden} suppressed or filtered {noun} not shown.")?;
    }
    if !t.notices.is_empty() {
        writeln!(out, "\n### Warnings (not vulnerabilities)\n")?;
        writeln!(out, "| Package | Installed | Advisory | Kind | Title |")?;
        writeln!(out, "| --- | --- | --- | --- | --- |")?;
        for n in &t.notices {
            let id = match n.url.as_deref().and_then(link_url) {
                Some(url) => format!("[{}]({url})", cell(&n.id)),
                None => cell(&n.id),
            };
            writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                cell(&n.package),
                cell(&n.installed),
                id,
                cell(&n.kind),
                cell(n.title.as_deref().unwrap_or(""))
            )?;
        }
    }
    Ok(())
}
