//! Diffs and fleet summaries as table, JSON, Markdown and CSV.

use std::io::{self, Write};

use crate::diff::{Category, DiffReport};
use crate::display::escape;

/// Output formats of `drydock diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffFormat {
    Table,
    Json,
    Markdown,
    Csv,
}

impl std::str::FromStr for DiffFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "table" => Ok(DiffFormat::Table),
            "json" => Ok(DiffFormat::Json),
            "markdown" | "md" => Ok(DiffFormat::Markdown),
            "csv" => Ok(DiffFormat::Csv),
            _ => Err(format!(
                "unknown diff format `{s}` (use table, json, markdown, csv)"
            )),
        }
    }
}

/// Writes the diff. Unchanged findings are counted, and listed only with `all`.
pub fn write_diff(
    d: &DiffReport,
    format: DiffFormat,
    all: bool,
    w: &mut dyn Write,
) -> io::Result<()> {
    let shown = d
        .entries
        .iter()
        .filter(|e| all || e.category != Category::Unchanged);
    match format {
        DiffFormat::Json => {
            let mut v = serde_json::to_value(d).map_err(io::Error::other)?;
            if !all && let Some(entries) = v.get_mut("entries").and_then(|e| e.as_array_mut()) {
                entries.retain(|e| e.get("category").and_then(|c| c.as_str()) != Some("unchanged"));
            }
            serde_json::to_writer_pretty(&mut *w, &v).map_err(io::Error::other)?;
            writeln!(w)
        }
        DiffFormat::Csv => {
            writeln!(
                w,
                "release,repository,category,vulnerability_id,ecosystem,package,severity,installed_a,installed_b,fixed_a,fixed_b,detail"
            )?;
            for e in shown {
                let f = [
                    e.release.as_deref().unwrap_or(""),
                    &e.repository,
                    e.category.as_str(),
                    &e.vulnerability_id,
                    &e.ecosystem,
                    &e.package,
                    &e.severity,
                    e.installed_a.as_deref().unwrap_or(""),
                    e.installed_b.as_deref().unwrap_or(""),
                    e.fixed_a.as_deref().unwrap_or(""),
                    e.fixed_b.as_deref().unwrap_or(""),
                    e.detail.as_deref().unwrap_or(""),
                ];
                let cells: Vec<String> = f.iter().map(|c| csv_cell(c)).collect();
                writeln!(w, "{}", cells.join(","))?;
            }
            Ok(())
        }
        DiffFormat::Markdown => {
            writeln!(w, "## drydock diff: `{}` → `{}`\n", md(&d.a), md(&d.b))?;
            writeln!(w, "{}\n", totals_line(d))?;
            writeln!(
                w,
                "| Release | Image | Change | Vulnerability | Package | Severity | Installed | Fixed | Detail |"
            )?;
            writeln!(w, "|---|---|---|---|---|---|---|---|---|")?;
            for e in shown {
                writeln!(
                    w,
                    "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                    md(e.release.as_deref().unwrap_or("")),
                    md(&e.repository),
                    e.category.as_str(),
                    md(&e.vulnerability_id),
                    md(&format!("{} ({})", e.package, e.ecosystem)),
                    md(&e.severity),
                    md(&versions(&e.installed_a, &e.installed_b)),
                    md(&versions(&e.fixed_a, &e.fixed_b)),
                    md(e.detail.as_deref().unwrap_or("")),
                )?;
            }
            Ok(())
        }
        DiffFormat::Table => {
            writeln!(w, "{} → {}", escape(&d.a, 200), escape(&d.b, 200))?;
            writeln!(w, "{}", totals_line(d))?;
            for img in &d.images {
                let listed: Vec<_> = d
                    .entries
                    .iter()
                    .filter(|e| e.release == img.release && e.repository == img.repository)
                    .filter(|e| all || e.category != Category::Unchanged)
                    .collect();
                let interesting =
                    !listed.is_empty() || img.status_b != "ok" || img.status_a != "ok";
                if !interesting {
                    continue;
                }
                writeln!(w)?;
                let counts: Vec<String> = Category::ALL
                    .iter()
                    .filter_map(|c| img.counts.get(c).map(|n| format!("{n} {}", c.as_str())))
                    .collect();
                writeln!(
                    w,
                    "{}{}  [{}]",
                    img.release
                        .as_ref()
                        .map(|r| format!("{} / ", escape(r, 60)))
                        .unwrap_or_default(),
                    escape(&img.repository, 120),
                    if counts.is_empty() {
                        "no findings".to_string()
                    } else {
                        counts.join(", ")
                    }
                )?;
                if img.status_b != "ok" {
                    writeln!(w, "  B: {}", escape(&img.status_b, 300))?;
                }
                if img.status_a != "ok" {
                    writeln!(w, "  A: {}", escape(&img.status_a, 300))?;
                }
                for e in listed {
                    writeln!(
                        w,
                        "  {:<12} {:<9} {:<20} {} {}{}",
                        e.category.as_str(),
                        e.severity,
                        escape(&e.vulnerability_id, 40),
                        escape(&e.package, 60),
                        escape(&versions(&e.installed_a, &e.installed_b), 80),
                        e.detail
                            .as_ref()
                            .map(|d| format!("  ({})", escape(d, 200)))
                            .unwrap_or_default()
                    )?;
                }
            }
            Ok(())
        }
    }
}

fn versions(a: &Option<String>, b: &Option<String>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if a != b => format!("{a} → {b}"),
        (Some(a), _) => a.clone(),
        (None, Some(b)) => b.clone(),
        (None, None) => String::new(),
    }
}

fn totals_line(d: &DiffReport) -> String {
    let parts: Vec<String> = Category::ALL
        .iter()
        .map(|c| format!("{} {}", d.totals.get(c).copied().unwrap_or(0), c.as_str()))
        .collect();
    parts.join(", ")
}

fn md(s: &str) -> String {
    escape(s, 300)
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn csv_cell(s: &str) -> String {
    // A leading = + - @ would be a formula in a spreadsheet.
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}
