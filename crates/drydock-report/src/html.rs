//! `html`: one self-contained page: inline CSS, no scripts, no external assets, and a
//! Content-Security-Policy that forbids loading anything, so the file can be attached to a
//! ticket or published as is. Every value is escaped; links are `http(s)` only.

use std::fmt::Write as _;

use drydock_match::Severity;

use crate::WriteOptions;
use crate::escape::{html as esc, link_url};
use crate::model::{
    Report, ReportKind, TargetReport, is_reported, location_paths, serde_name, short_digest,
};

const STYLE: &str = r#"
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1f2328; background: #f6f8fa; }
header { background: #0b3d5c; color: #fff; padding: 16px 32px; }
header h1 { margin: 0; font-size: 22px; font-weight: 600; }
header p { margin: 4px 0 0; opacity: .85; }
main { padding: 16px 32px 32px; }
section.target { background: #fff; border: 1px solid #d0d7de; border-radius: 8px; padding: 16px 20px; margin: 0 0 20px; }
section.target h2 { margin: 0 0 6px; font-size: 18px; word-break: break-all; }
dl.facts { display: flex; flex-wrap: wrap; gap: 4px 20px; margin: 0 0 12px; color: #57606a; }
dl.facts div { display: flex; gap: 6px; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; font-family: ui-monospace, "DejaVu Sans Mono", monospace; word-break: break-all; }
.summary { display: flex; flex-wrap: wrap; gap: 8px; margin: 0 0 14px; align-items: center; }
.summary .total { font-weight: 600; margin-right: 6px; }
.badge { display: inline-block; min-width: 74px; text-align: center; padding: 2px 8px; border-radius: 12px; font-size: 12px; font-weight: 700; letter-spacing: .02em; color: #fff; }
.sev-CRITICAL { background: #8b0000; }
.sev-HIGH { background: #d1242f; }
.sev-MEDIUM { background: #bf8700; }
.sev-LOW { background: #0969da; }
.sev-UNKNOWN { background: #6e7781; }
.badge.zero { background: #eaeef2; color: #8c959f; }
table { border-collapse: collapse; width: 100%; margin: 0 0 8px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #d8dee4; vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; white-space: nowrap; }
td.mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 13px; white-space: nowrap; }
tr.hidden td { color: #8c959f; }
h3 { font-size: 15px; margin: 16px 0 8px; }
details summary { cursor: pointer; color: #57606a; margin: 8px 0; }
p.none { color: #1a7f37; font-weight: 600; }
ul.notices li { margin: 2px 0; }
footer { color: #57606a; padding: 0 32px 24px; font-size: 12px; }
a { color: #0969da; text-decoration: none; }
"#;

pub(crate) fn write(report: &Report, opts: &WriteOptions, out: &mut String) -> std::fmt::Result {
    let title = match report.targets.as_slice() {
        [only] => format!("drydock report: {}", only.name),
        _ => "drydock report".to_string(),
    };
    writeln!(out, "<!DOCTYPE html>")?;
    writeln!(out, "<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">")?;
    writeln!(
        out,
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
    )?;
    writeln!(
        out,
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    )?;
    writeln!(
        out,
        "<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>",
        esc(&title)
    )?;
    let what = match report.kind {
        ReportKind::Sbom => "Software bill of materials",
        ReportKind::Vulnerability => "Vulnerability report",
    };
    writeln!(
        out,
        "<header><h1>{}</h1><p>{} · {} target{} · {}</p></header>\n<main>",
        esc(&title),
        what,
        report.targets.len(),
        if report.targets.len() == 1 { "" } else { "s" },
        esc(&report.created_at)
    )?;
    if let Some(gate) = &report.gate {
        let (label, class) = if gate.failed {
            ("Gate failed", "sev-CRITICAL")
        } else {
            ("Gate passed", "")
        };
        let threshold = gate
            .fail_on
            .map_or_else(String::new, |s| format!(" at or above {s}"));
        writeln!(
            out,
            "<p><span class=\"badge {class}\" style=\"{}\">{label}</span> {} finding{} counted{threshold}</p>",
            if gate.failed {
                ""
            } else {
                "background:#1a7f37"
            },
            gate.counted,
            if gate.counted == 1 { "" } else { "s" },
        )?;
    }
    for t in &report.targets {
        target(t, report.kind, opts, out)?;
    }
    if !report.policy_notices.is_empty() {
        writeln!(
            out,
            "<section class=\"target\"><h2>Ignore-file notices</h2><ul class=\"notices\">"
        )?;
        for n in &report.policy_notices {
            writeln!(
                out,
                "<li><strong>{}</strong> <code>{}</code> ({}): {}</li>",
                esc(&serde_name(&n.kind)),
                esc(&n.id),
                esc(&n.source),
                esc(&n.message)
            )?;
        }
        writeln!(out, "</ul></section>")?;
    }
    if !report.errors.is_empty() {
        writeln!(
            out,
            "<section class=\"target\"><h2>Scan warnings</h2><ul class=\"notices\">"
        )?;
        for w in &report.errors {
            writeln!(out, "<li>{}</li>", esc(&w.to_string()))?;
        }
        writeln!(out, "</ul></section>")?;
    }
    writeln!(
        out,
        "</main>\n<footer>Written by {} {} at {}.</footer>\n</body>\n</html>",
        esc(&report.tool.name),
        esc(&report.tool.version),
        esc(&report.created_at)
    )
}

fn target(
    t: &TargetReport,
    kind: ReportKind,
    opts: &WriteOptions,
    out: &mut String,
) -> std::fmt::Result {
    writeln!(out, "<section class=\"target\">\n<h2>{}</h2>", esc(&t.name))?;
    let mut facts: Vec<(&str, String)> = vec![("Kind", t.kind.clone())];
    if let Some(os) = &t.os {
        facts.push(("OS", format!("{} {}", os.family, os.version)));
    }
    if let Some(p) = &t.platform {
        facts.push(("Platform", p.clone()));
    }
    if let Some(d) = &t.digest {
        facts.push(("Digest", d.clone()));
    }
    facts.push(("Packages", t.packages.len().to_string()));
    facts.push(("Layers", t.layers.len().to_string()));
    write!(out, "<dl class=\"facts\">")?;
    for (k, v) in facts {
        write!(out, "<div><dt>{k}</dt><dd>{}</dd></div>", esc(&v))?;
    }
    writeln!(out, "</dl>")?;
    match kind {
        ReportKind::Sbom => packages(t, out)?,
        ReportKind::Vulnerability => {
            findings(t, opts, out)?;
            if !t.packages.is_empty() {
                writeln!(
                    out,
                    "<details><summary>Packages ({})</summary>",
                    t.packages.len()
                )?;
                packages(t, out)?;
                writeln!(out, "</details>")?;
            }
        }
    }
    writeln!(out, "</section>")
}

fn badge(s: Severity) -> String {
    format!("<span class=\"badge sev-{s}\">{s}</span>")
}

fn findings(t: &TargetReport, opts: &WriteOptions, out: &mut String) -> std::fmt::Result {
    let counts = t.severity_counts();
    let total: usize = counts.values().sum();
    write!(
        out,
        "<div class=\"summary\"><span class=\"total\">{total} vulnerabilit{}</span>",
        if total == 1 { "y" } else { "ies" }
    )?;
    for (s, n) in counts.iter().rev() {
        let zero = if *n == 0 { " zero" } else { "" };
        write!(out, "<span class=\"badge sev-{s}{zero}\">{s} {n}</span>")?;
    }
    writeln!(out, "</div>")?;
    let shown: Vec<_> = t.shown(opts.show_suppressed).collect();
    if shown.is_empty() {
        writeln!(out, "<p class=\"none\">No vulnerabilities found.</p>")?;
    } else {
        writeln!(
            out,
            "<table>\n<thead><tr><th>Severity</th><th>Vulnerability</th><th>Package</th><th>Installed</th><th>Fixed</th><th>Status</th><th>Title</th>{}</tr></thead>\n<tbody>",
            if opts.show_suppressed {
                "<th>Verdict</th>"
            } else {
                ""
            }
        )?;
        for d in shown {
            let f = &d.finding;
            let id = match f.primary_url.as_deref().and_then(link_url) {
                Some(url) => format!("<a href=\"{}\">{}</a>", esc(&url), esc(&f.id)),
                None => esc(&f.id),
            };
            let class = if is_reported(d) {
                ""
            } else {
                " class=\"hidden\""
            };
            write!(
                out,
                "<tr{class}><td>{}</td><td class=\"mono\">{id}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td>{}</td><td>{}</td>",
                badge(f.severity),
                esc(&f.package),
                esc(&f.installed),
                esc(f.fixed.as_deref().unwrap_or("")),
                esc(f.status.as_str()),
                esc(f.title.as_deref().unwrap_or("")),
            )?;
            if opts.show_suppressed {
                let mut v = serde_name(&d.verdict);
                if let Some(r) = d.reason.as_ref().filter(|_| !is_reported(d)) {
                    v.push_str(": ");
                    v.push_str(r);
                }
                write!(out, "<td>{}</td>", esc(&v))?;
            }
            writeln!(out, "</tr>")?;
        }
        writeln!(out, "</tbody>\n</table>")?;
    }
    let hidden = t.findings.iter().filter(|d| !is_reported(d)).count();
    if hidden > 0 && !opts.show_suppressed {
        writeln!(
            out,
            "<p>{hidden} suppressed or filtered finding{} not shown.</p>",
            if hidden == 1 { "" } else { "s" }
        )?;
    }
    if !t.notices.is_empty() {
        writeln!(
            out,
            "<h3>Warnings (advisories that are not vulnerabilities)</h3>"
        )?;
        writeln!(
            out,
            "<table>\n<thead><tr><th>Kind</th><th>Advisory</th><th>Package</th><th>Installed</th><th>Title</th></tr></thead>\n<tbody>"
        )?;
        for n in &t.notices {
            let id = match n.url.as_deref().and_then(link_url) {
                Some(url) => format!("<a href=\"{}\">{}</a>", esc(&url), esc(&n.id)),
                None => esc(&n.id),
            };
            writeln!(
                out,
                "<tr><td>{}</td><td class=\"mono\">{id}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td>{}</td></tr>",
                esc(&n.kind),
                esc(&n.package),
                esc(&n.installed),
                esc(n.title.as_deref().unwrap_or(""))
            )?;
        }
        writeln!(out, "</tbody>\n</table>")?;
    }
    Ok(())
}

fn packages(t: &TargetReport, out: &mut String) -> std::fmt::Result {
    if t.packages.is_empty() {
        return writeln!(out, "<p>No packages found.</p>");
    }
    writeln!(
        out,
        "<table>\n<thead><tr><th>Ecosystem</th><th>Package</th><th>Version</th><th>Source</th><th>Layer</th><th>Path</th></tr></thead>\n<tbody>"
    )?;
    for p in &t.packages {
        let pkg = &p.package;
        let first = pkg.locations.first();
        let layer = first
            .and_then(|l| l.layer.as_deref())
            .map(short_digest)
            .unwrap_or("");
        let path = location_paths(pkg);
        writeln!(
            out,
            "<tr><td>{}</td><td class=\"mono\" title=\"{}\">{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td></tr>",
            esc(pkg.ecosystem.as_str()),
            esc(&p.purl),
            esc(&pkg.name),
            esc(&pkg.version),
            esc(pkg.source.as_ref().map_or("", |s| s.name.as_str())),
            esc(layer),
            esc(&path)
        )?;
    }
    writeln!(out, "</tbody>\n</table>")
}
