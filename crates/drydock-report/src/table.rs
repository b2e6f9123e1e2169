//! `table`: human output for a terminal.
//!
//! Box-drawn tables by hand rather than `comfy-table`: the layout is fixed (no wrapping, one
//! line per row) and the few lines here cost less to build than the dependency. Cell text from
//! images and feeds goes through drydock's one escaper (`drydock_package::text`), so a package
//! name or an advisory title cannot move the cursor, change colours or reorder the text of the
//! terminal it is printed to.

use std::collections::BTreeMap;
use std::io::{self, Write};

use drydock_match::Severity;
use unicode_width::UnicodeWidthStr;

use crate::WriteOptions;
use crate::group::finding_groups;
use crate::model::{Report, ReportKind, TargetReport, display_title, short_digest};

/// The narrowest the last (title) column is cut to when the terminal is narrow.
const MIN_LAST_WIDTH: usize = 16;

/// The widest a column is padded to: a longer cell is printed whole (up to [`MAX_CELL`]) and
/// overflows its own row instead of widening every row of the table. Without it one 1,000-byte
/// package name padded 100,000 rows to 1,000 columns (a 208 MB table for a 2.3 MB database;
/// issue 14). The last column (advisory titles, paths) is padded to at most [`MAX_LAST_PAD`].
const MAX_PAD: usize = 80;
const MAX_LAST_PAD: usize = 200;

pub(crate) fn write(report: &Report, opts: &WriteOptions, out: &mut Vec<u8>) -> io::Result<()> {
    let paint = Paint { on: opts.color };
    for (i, t) in report.targets.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        heading(t, &paint, out)?;
        match report.kind {
            ReportKind::Sbom => packages(t, opts, out)?,
            ReportKind::Vulnerability => {
                // A Dockerfile has no packages: no vulnerability count line for it.
                if t.kind != "dockerfile" || !t.findings.is_empty() {
                    findings(t, opts, &paint, out)?;
                }
                misconfig_sections(t, opts, &paint, out)?;
            }
        }
    }
    if report.targets.is_empty() {
        writeln!(out, "No targets.")?;
    }
    let sources = crate::suppression::summarize(report);
    if !sources.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", paint.bold("Suppressed"))?;
        for s in &sources {
            writeln!(out, "  {}", clean(&s.line()))?;
            for (at, rule) in &s.rules {
                writeln!(out, "    {}  {}", clean(at), clean(&rule.line()))?;
            }
        }
    }
    if !report.policy_notices.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", paint.bold("Ignore-file notices"))?;
        for n in &report.policy_notices {
            let kind = crate::model::serde_name(&n.kind);
            writeln!(
                out,
                "  {} {} ({}): {}",
                paint.color(YELLOW, &kind),
                clean(&n.id),
                clean(&n.source),
                clean(&n.message)
            )?;
        }
    }
    if !report.errors.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", paint.bold("Scan warnings"))?;
        for w in &report.errors {
            writeln!(out, "  {}", clean(&w.to_string()))?;
        }
    }
    if let Some(gate) = &report.gate {
        writeln!(out)?;
        let threshold = gate
            .fail_on
            .map_or_else(String::new, |s| format!(" at or above {s}"));
        let noun = if gate.counted == 1 {
            "finding"
        } else {
            "findings"
        };
        if gate.failed {
            writeln!(
                out,
                "Gate: {} ({} {noun}{threshold})",
                paint.color(RED_BOLD, "FAILED"),
                gate.counted
            )?;
        } else {
            writeln!(
                out,
                "Gate: {} ({} {noun}{threshold})",
                paint.color(GREEN, "passed"),
                gate.counted
            )?;
        }
    }
    Ok(())
}

fn heading(t: &TargetReport, paint: &Paint, out: &mut Vec<u8>) -> io::Result<()> {
    let mut about = vec![t.kind.clone()];
    if let Some(os) = &t.os {
        about.push(format!("{} {}", os.family, os.version));
    }
    if let Some(p) = &t.platform {
        about.push(p.clone());
    }
    let line = format!("{} ({})", clean(&t.name), clean(&about.join(", ")));
    writeln!(out, "{}", paint.bold(&line))?;
    writeln!(out, "{}", "=".repeat(line.width()))?;
    if let Some(d) = &t.digest {
        writeln!(out, "Digest: {}", clean(d))?;
    }
    Ok(())
}

fn packages(t: &TargetReport, opts: &WriteOptions, out: &mut Vec<u8>) -> io::Result<()> {
    writeln!(out, "Packages: {}", t.packages.len())?;
    if t.packages.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    let mut table = Table::new(&["Ecosystem", "Name", "Version", "Source", "Layer", "Path"]);
    table.fit = opts.width;
    for p in &t.packages {
        let pkg = &p.package;
        let source = match &pkg.source {
            Some(s) => match &s.version {
                Some(v) => format!("{} {}", s.name, v),
                None => s.name.clone(),
            },
            None => String::new(),
        };
        let first = pkg.locations.first();
        let layer = first
            .and_then(|l| l.layer.as_deref())
            .map(|d| short_digest(d).to_string())
            .unwrap_or_default();
        let mut path = first.map(|l| l.path.clone()).unwrap_or_default();
        if pkg.locations.len() > 1 {
            path.push_str(&format!(" (+{} more)", pkg.locations.len() - 1));
        }
        table.row(vec![
            Cell::plain(pkg.ecosystem.as_str()),
            Cell::plain(&pkg.name),
            Cell::plain(&pkg.version),
            Cell::plain(&source),
            Cell::plain(&layer),
            Cell::plain(&path),
        ]);
    }
    table.render(&Paint { on: false }, out)
}

fn findings(
    t: &TargetReport,
    opts: &WriteOptions,
    paint: &Paint,
    out: &mut Vec<u8>,
) -> io::Result<()> {
    writeln!(out, "Total: {}", counts_line(&t.severity_counts(), paint))?;
    if let Some(line) = t.coverage_notice() {
        writeln!(out, "{}", paint.color(YELLOW, &clean(&line)))?;
    }
    // Trivy's layout: one section per source (the OS packages, each lockfile or binary), each
    // with its own count line and table.
    for group in finding_groups(t, false) {
        writeln!(out)?;
        let label = clean(&group.label);
        writeln!(out, "{}", paint.bold(&label))?;
        writeln!(out, "{}", "-".repeat(label.width()))?;
        let mut counts = zero_counts();
        for d in &group.findings {
            *counts.entry(d.finding.severity).or_default() += 1;
        }
        writeln!(out, "Total: {}", counts_line(&counts, paint))?;
        writeln!(out)?;
        // With an environment profile, the severity column shows base → environmental.
        let env = group
            .findings
            .iter()
            .any(|d| d.finding.environmental_severity.is_some());
        let severity_header = if env { "Severity (env)" } else { "Severity" };
        // Per-package installs (`Python (python-pkg)`) have no one path: each row says where.
        let with_path = group.path.is_none() && !group.is_os();
        let mut headers = vec![
            "Package",
            "Vulnerability",
            severity_header,
            "Status",
            "Installed",
            "Fixed",
        ];
        if with_path {
            headers.push("Path");
        }
        headers.push("Title");
        let mut table = Table::new(&headers);
        table.fit = opts.width;
        for d in &group.findings {
            let f = &d.finding;
            let shown = f.environmental_severity.unwrap_or(f.severity);
            let severity = match f.environmental_severity {
                Some(e) => format!("{} → {}", f.severity.as_str(), e.as_str()),
                None => f.severity.as_str().to_string(),
            };
            let mut row = vec![
                Cell::plain(&f.package),
                Cell::plain(&f.id),
                Cell::colored(&severity, severity_color(shown)),
                Cell::plain(f.status.as_str()),
                Cell::plain(&f.installed),
                Cell::plain(f.fixed.as_deref().unwrap_or("")),
            ];
            if with_path {
                row.push(Cell::plain(&package_dir(
                    f.locations.first().map_or("", |l| l.path.as_str()),
                )));
            }
            row.push(Cell::plain(display_title(f)));
            table.row(row);
        }
        table.render(paint, out)?;
    }
    let hidden: Vec<_> = t
        .findings
        .iter()
        .filter(|d| !crate::is_reported(d))
        .collect();
    if !hidden.is_empty() {
        writeln!(out)?;
        if opts.show_suppressed {
            writeln!(out, "Suppressed and filtered: {}", hidden.len())?;
            writeln!(out)?;
            let mut table = Table::new(&[
                "Package",
                "Vulnerability",
                "Severity",
                "Verdict",
                "Expires",
                "Reason",
            ]);
            table.fit = opts.width;
            for d in hidden {
                let f = &d.finding;
                let mut reason = d.reason.clone().unwrap_or_default();
                if let Some(by) = &d.suppressed_by
                    && !reason.contains(by.as_str())
                {
                    reason = if reason.is_empty() {
                        by.clone()
                    } else {
                        format!("{reason} ({by})")
                    };
                }
                table.row(vec![
                    Cell::plain(&f.package),
                    Cell::plain(&f.id),
                    Cell::colored(f.severity.as_str(), DIM),
                    Cell::plain(&crate::model::serde_name(&d.verdict)),
                    Cell::plain(d.expires.as_deref().unwrap_or("")),
                    Cell::plain(&reason),
                ]);
            }
            table.render(paint, out)?;
        } else {
            let n = hidden.len();
            let noun = if n == 1 { "finding" } else { "findings" };
            writeln!(
                out,
                "{n} suppressed or filtered {noun} not shown (--show-suppressed shows them)."
            )?;
        }
    }
    let absent = t
        .findings
        .iter()
        .filter(|d| crate::is_reported(d))
        .filter(|d| d.finding.evidence.as_ref().is_some_and(|e| e.code_absent()))
        .count();
    if absent > 0 {
        writeln!(out)?;
        writeln!(
            out,
            "{absent} of these findings' vulnerable code is not in the binary (package not linked, linked without the vulnerable symbols, or built for a platform the advisory does not affect): --linked-only would remove them."
        )?;
    }
    if !t.notices.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "Warnings (advisories that are not vulnerabilities): {}",
            t.notices.len()
        )?;
        writeln!(out)?;
        let mut table = Table::new(&["Package", "Installed", "Advisory", "Kind", "Title"]);
        table.fit = opts.width;
        for n in &t.notices {
            table.row(vec![
                Cell::plain(&n.package),
                Cell::plain(&n.installed),
                Cell::plain(&n.id),
                Cell::colored(&n.kind, YELLOW),
                Cell::plain(n.title.as_deref().unwrap_or("")),
            ]);
        }
        table.render(paint, out)?;
    }
    Ok(())
}

/// Every severity at zero.
fn zero_counts() -> BTreeMap<Severity, usize> {
    [
        Severity::Unknown,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ]
    .into_iter()
    .map(|s| (s, 0))
    .collect()
}

/// `131 (UNKNOWN: 0, LOW: 5, …)`, non-zero counts coloured.
fn counts_line(counts: &BTreeMap<Severity, usize>, paint: &Paint) -> String {
    let total: usize = counts.values().sum();
    let parts: Vec<String> = counts
        .iter()
        .map(|(s, n)| {
            let text = format!("{s}: {n}");
            if *n > 0 {
                paint.color(severity_color(*s), &text)
            } else {
                text
            }
        })
        .collect();
    format!("{total} ({})", parts.join(", "))
}

/// A per-package metadata path shortened to the package's directory
/// (`…/site-packages/Django-3.2.dist-info/METADATA` → `…/site-packages/Django-3.2.dist-info`).
fn package_dir(path: &str) -> String {
    match path.rsplit_once('/') {
        Some((dir, file))
            if matches!(file, "METADATA" | "PKG-INFO" | "package.json")
                || file.ends_with(".gemspec") =>
        {
            dir.to_string()
        }
        _ => path.to_string(),
    }
}

const RED_BOLD: &str = "1;31";
const RED: &str = "31";
const YELLOW: &str = "33";
const BLUE: &str = "34";
const GREEN: &str = "32";
const DIM: &str = "2";

fn severity_color(s: Severity) -> &'static str {
    match s {
        Severity::Critical => RED_BOLD,
        Severity::High => RED,
        Severity::Medium => YELLOW,
        Severity::Low => BLUE,
        Severity::Unknown => DIM,
    }
}

struct Paint {
    on: bool,
}

impl Paint {
    fn color(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn bold(&self, text: &str) -> String {
        self.color("1", text)
    }
}

/// The most characters of one value a table shows (titles are cut to the terminal before).
const MAX_CELL: usize = 1024;

/// Text from an image or a feed made safe for a terminal: newlines and tabs folded to spaces
/// (a title may wrap in its feed), every other control character and bidirectional override
/// escaped by drydock's one escaper ([`drydock_package::text::shown_max`]), long values cut.
fn clean(s: &str) -> String {
    let folded: String = s
        .chars()
        .map(|c| if matches!(c, '\n' | '\t') { ' ' } else { c })
        .collect();
    drydock_package::text::shown_max(&folded, MAX_CELL).into_owned()
}

fn truncate(s: &str, max: usize) -> String {
    let s = clean(s);
    if s.width() <= max {
        return s;
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if w + cw + 1 > max {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    out
}

struct Cell {
    text: String,
    color: Option<&'static str>,
}

impl Cell {
    fn plain(text: &str) -> Cell {
        Cell {
            text: clean(text),
            color: None,
        }
    }

    fn colored(text: &str, color: &'static str) -> Cell {
        Cell {
            text: clean(text),
            color: Some(color),
        }
    }
}

struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<Cell>>,
    /// The terminal width: the last column is cut (with `…`) so that rows fit it.
    fit: Option<usize>,
}

impl Table {
    fn new(headers: &[&str]) -> Table {
        Table {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
            fit: None,
        }
    }

    fn row(&mut self, cells: Vec<Cell>) {
        self.rows.push(cells);
    }

    fn render(&self, paint: &Paint, out: &mut Vec<u8>) -> io::Result<()> {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.width()).collect();
        let last_index = widths.len().saturating_sub(1);
        for row in &self.rows {
            for (i, (w, c)) in widths.iter_mut().zip(row).enumerate() {
                let cap = if i == last_index {
                    MAX_LAST_PAD
                } else {
                    MAX_PAD
                };
                *w = (*w).max(c.text.width().min(cap));
            }
        }
        // `│ a │ b │`: each column takes its width plus three, plus the closing bar.
        let total: usize = widths.iter().map(|w| w + 3).sum::<usize>() + 1;
        let mut cut: Option<usize> = None;
        if let (Some(max), Some(last)) = (self.fit, widths.last_mut())
            && total > max
        {
            let shrunk = last
                .saturating_sub(total - max)
                .max(MIN_LAST_WIDTH.min(*last));
            if shrunk < *last {
                *last = shrunk;
                cut = Some(shrunk);
            }
        }
        let rule = |l: &str, m: &str, r: &str| {
            let parts: Vec<String> = widths.iter().map(|w| "─".repeat(w + 2)).collect();
            format!("{l}{}{r}", parts.join(m))
        };
        writeln!(out, "{}", rule("┌", "┬", "┐"))?;
        let header: Vec<String> = self
            .headers
            .iter()
            .zip(&widths)
            .map(|(h, w)| format!(" {} ", pad(&paint.bold(h), h.width(), *w)))
            .collect();
        writeln!(out, "│{}│", header.join("│"))?;
        writeln!(out, "{}", rule("├", "┼", "┤"))?;
        for row in &self.rows {
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(i, (c, w))| {
                    let text = match cut {
                        Some(max) if i == last_index => truncate(&c.text, max),
                        _ => c.text.clone(),
                    };
                    let shown = match c.color {
                        Some(code) => paint.color(code, &text),
                        None => text.clone(),
                    };
                    format!(" {} ", pad(&shown, text.width(), *w))
                })
                .collect();
            writeln!(out, "│{}│", cells.join("│"))?;
        }
        writeln!(out, "{}", rule("└", "┴", "┘"))
    }
}

/// Pads `shown` (which may hold escape codes) to `width` columns given its visible width.
fn pad(shown: &str, visible: usize, width: usize) -> String {
    format!("{shown}{}", " ".repeat(width.saturating_sub(visible)))
}

/// `--scanners misconfig,secret`: a section each after the vulnerabilities, as Trivy prints
/// them: a count line, then severity, check id, where, and the title (values masked).
fn misconfig_sections(
    t: &TargetReport,
    opts: &WriteOptions,
    paint: &Paint,
    out: &mut Vec<u8>,
) -> io::Result<()> {
    for (name, entries) in [
        ("Misconfigurations", &t.misconfigurations),
        ("Secrets", &t.secrets),
    ] {
        let shown: Vec<_> = entries
            .iter()
            .filter(|e| opts.show_suppressed || e.is_reported())
            .collect();
        if entries.is_empty() {
            continue;
        }
        writeln!(out)?;
        writeln!(out, "{}", paint.bold(name))?;
        writeln!(out, "{}", "-".repeat(name.len()))?;
        let mut counts = zero_counts();
        for e in entries.iter().filter(|e| e.is_reported()) {
            *counts.entry(e.severity()).or_default() += 1;
        }
        writeln!(out, "Total: {}", counts_line(&counts, paint))?;
        if shown.is_empty() {
            continue;
        }
        writeln!(out)?;
        let mut headers = vec!["Severity", "Check", "Where", "Title"];
        if opts.show_suppressed {
            headers.push("Verdict");
        }
        let mut table = Table::new(&headers);
        table.fit = opts.width;
        for e in shown {
            let f = &e.finding;
            let mut row = vec![
                Cell::colored(f.severity.as_str(), severity_color(e.severity())),
                Cell::plain(&f.id),
                Cell::plain(&f.evidence.location()),
                Cell::plain(&f.title),
            ];
            if opts.show_suppressed {
                row.push(Cell::plain(&crate::model::serde_name(&e.policy.verdict)));
            }
            table.row(row);
        }
        table.render(paint, out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_never_reach_the_terminal() {
        assert_eq!(
            clean("a\x1b[2Jb\nc\r\u{202e}d"),
            "a\\u{1b}[2Jb c\\r\\u{202e}d"
        );
    }

    #[test]
    fn truncate_counts_columns() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
    }

    /// Issue 14: one long cell widens only its own row, so the table grows with its rows and
    /// the longest cell, not with their product.
    #[test]
    fn one_long_cell_does_not_pad_every_row() {
        let long = "n".repeat(1000);
        let mut t = Table::new(&["Package", "Version"]);
        for i in 0..10_000 {
            let name = if i == 5_000 {
                long.clone()
            } else {
                format!("pkg-{i}")
            };
            t.row(vec![Cell::plain(&name), Cell::plain("1.0")]);
        }
        let mut out = Vec::new();
        t.render(&Paint { on: false }, &mut out).expect("render");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(text.contains(&long), "the long cell is printed whole");
        let short = text
            .lines()
            .find(|l| l.contains("pkg-42 "))
            .expect("a short row");
        assert!(
            short.width() <= MAX_PAD + "Version".len() + 7,
            "a short row is padded to the cap, not to the long cell: {} columns",
            short.width()
        );
        assert!(
            text.len() < 10_000 * (3 * MAX_PAD) + long.len(),
            "{} bytes",
            text.len()
        );
        // Cells under the cap still line up.
        let widths: std::collections::BTreeSet<usize> = text
            .lines()
            .filter(|l| l.starts_with('│') && !l.contains(&long))
            .map(|l| l.width())
            .collect();
        assert_eq!(widths.len(), 1, "{widths:?}");
    }
}
