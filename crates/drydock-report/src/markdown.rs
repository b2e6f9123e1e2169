//! `markdown`: what teams paste into a tracker issue: per target a heading, the severity
//! counts and a table of findings (or of packages, for an SBOM report). GitHub-flavoured
//! tables; every cell escaped so feed text cannot break the table or inject markup.

use std::fmt::Write as _;

use crate::WriteOptions;
use crate::escape::{link_url, markdown_cell as cell};
use crate::model::{Report, ReportKind, TargetReport, is_reported, location_paths, serde_name};

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

fn findings(t: &TargetReport, opts: &WriteOptions, out: &mut String) -> std::fmt::Result {
    let counts = t.severity_counts();
    let total: usize = counts.values().sum();
    let parts: Vec<String> = counts
        .iter()
        .rev()
        .map(|(s, n)| format!("{s} {n}"))
        .collect();
    writeln!(
        out,
        "**{total} {}** ({})\n",
        if total == 1 {
            "vulnerability"
        } else {
            "vulnerabilities"
        },
        parts.join(", ")
    )?;
    let shown: Vec<_> = t.shown(opts.show_suppressed).collect();
    if !shown.is_empty() {
        let extra = if opts.show_suppressed {
            " Verdict |"
        } else {
            ""
        };
        let extra_rule = if opts.show_suppressed { " --- |" } else { "" };
        writeln!(
            out,
            "| Package | Vulnerability | Severity | Status | Installed | Fixed | Title |{extra}"
        )?;
        writeln!(
            out,
            "| --- | --- | --- | --- | --- | --- | --- |{extra_rule}"
        )?;
        for d in shown {
            let f = &d.finding;
            let id = match f.primary_url.as_deref().and_then(link_url) {
                Some(url) => format!("[{}]({url})", cell(&f.id)),
                None => cell(&f.id),
            };
            write!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                cell(&f.package),
                id,
                f.severity,
                f.status.as_str(),
                cell(&f.installed),
                cell(f.fixed.as_deref().unwrap_or("")),
                cell(crate::model::display_title(f))
            )?;
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
    }
    let hidden = t.findings.iter().filter(|d| !is_reported(d)).count();
    if hidden > 0 && !opts.show_suppressed {
        let noun = if hidden == 1 { "finding" } else { "findings" };
        writeln!(out, "\n{hidden} suppressed or filtered {noun} not shown.")?;
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
