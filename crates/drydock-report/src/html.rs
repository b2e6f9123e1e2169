//! `html`: one self-contained page, no external assets, readable from 600 px up.
//!
//! The page opens with a summary (counts by severity over all targets, the gate's outcome, what
//! could not be checked), then each target's findings grouped as the table groups them (the OS
//! packages, each lockfile or binary), one expandable row per finding with its path, ecosystem,
//! CVSS scores and vectors, fixed version, description and links. Filtered and suppressed
//! findings (with `--show-suppressed`) are greyed out with their reason. Misconfigurations
//! and secrets (`--scanners misconfig,secret`) follow in a table each. A closing card sums up
//! what ignore files, VEX and triage suppressed, per source and rule, as the table does.
//!
//! One small inline script filters by severity, package and text (also from the URL fragment,
//! `report.html#sev=CRITICAL,HIGH&pkg=musl&q=overflow`, so a filtered view can be linked). The
//! Content-Security-Policy allows that script by its hash and nothing else: no other script,
//! no network, no frames. Without scripts the page shows everything. Every value is escaped;
//! links are `http(s)` only.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use drydock_match::{Finding, Severity};
use drydock_policy::{Decision, Verdict};
use sha2::{Digest as _, Sha256};

use crate::WriteOptions;
use crate::escape::{html as esc, link_url};
use crate::group::finding_groups;
use crate::model::{
    Report, ReportKind, TargetReport, display_title, is_reported, location_paths, serde_name,
    short_digest,
};

const STYLE: &str = r#"
:root { color-scheme: light; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1f2328; background: #f6f8fa; overflow-wrap: anywhere; }
header { background: #0b3d5c; color: #fff; padding: 16px 24px; }
header h1 { margin: 0; font-size: 22px; font-weight: 600; }
header p { margin: 4px 0 0; opacity: .85; }
main { padding: 16px 24px 32px; max-width: 1400px; }
section.card { background: #fff; border: 1px solid #d0d7de; border-radius: 8px; padding: 16px 20px; margin: 0 0 20px; }
section.card h2 { margin: 0 0 6px; font-size: 18px; }
dl.facts { display: flex; flex-wrap: wrap; gap: 4px 20px; margin: 0 0 12px; color: #57606a; }
dl.facts div { display: flex; gap: 6px; min-width: 0; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
.counts { display: flex; flex-wrap: wrap; gap: 8px; margin: 0 0 10px; align-items: center; }
.counts .total { font-weight: 600; margin-right: 6px; }
.badge { display: inline-block; min-width: 74px; text-align: center; padding: 2px 8px; border-radius: 12px; font-size: 12px; font-weight: 700; letter-spacing: .02em; color: #fff; white-space: nowrap; }
.sev-CRITICAL { background: #8b0000; }
.sev-HIGH { background: #d1242f; }
.sev-MEDIUM { background: #bf8700; }
.sev-LOW { background: #0969da; }
.sev-UNKNOWN { background: #6e7781; }
.badge.zero { background: #eaeef2; color: #8c959f; }
.gate { font-weight: 600; margin: 6px 0; }
.gate.failed { color: #8b0000; }
.gate.passed { color: #1a7f37; }
.coverage { background: #fff8c5; border: 1px solid #d4a72c; border-radius: 6px; padding: 6px 10px; margin: 6px 0; }
form.filter { display: none; flex-wrap: wrap; gap: 8px 16px; align-items: center; margin: 0 0 16px; padding: 10px 14px; background: #fff; border: 1px solid #d0d7de; border-radius: 8px; }
.js form.filter { display: flex; }
form.filter label { display: inline-flex; gap: 4px; align-items: center; }
form.filter input[type=search] { font: inherit; padding: 3px 6px; border: 1px solid #d0d7de; border-radius: 6px; width: 12em; max-width: 100%; }
#shown { color: #57606a; }
h3.group { font-size: 15px; margin: 18px 0 6px; font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
h3.group small { font-family: system-ui, sans-serif; font-weight: 400; color: #57606a; margin-left: 8px; }
details.finding { border-top: 1px solid #d8dee4; }
details.finding > summary { list-style: none; cursor: pointer; display: grid; grid-template-columns: 84px minmax(9em, 1.2fr) minmax(8em, 1.2fr) minmax(6em, 1fr) minmax(6em, 1fr) 3fr; gap: 4px 10px; padding: 6px 4px; align-items: baseline; }
details.finding > summary::-webkit-details-marker { display: none; }
details.finding > summary:hover { background: #f6f8fa; }
details.finding[open] > summary { background: #eef4fb; }
.mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 13px; }
.fixed { color: #1a7f37; }
.muted { color: #8c959f; }
.muted .badge { background: #d0d7de; color: #57606a; }
.why { display: block; font-size: 12px; }
.body { padding: 6px 8px 12px 94px; }
.body dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0 0 8px; }
.body dt { color: #57606a; }
.body dd { margin: 0; }
.body p { margin: 6px 0; white-space: pre-line; }
.colhead { display: grid; grid-template-columns: 84px minmax(9em, 1.2fr) minmax(8em, 1.2fr) minmax(6em, 1fr) minmax(6em, 1fr) 3fr; gap: 4px 10px; padding: 4px; font-weight: 600; color: #57606a; font-size: 12px; }
table { border-collapse: collapse; width: 100%; margin: 0 0 8px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #d8dee4; vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
p.none { color: #1a7f37; font-weight: 600; }
ul.notices li { margin: 2px 0; }
details.packages summary { cursor: pointer; color: #57606a; margin: 12px 0 8px; }
footer { color: #57606a; padding: 0 24px 24px; font-size: 12px; }
a { color: #0969da; text-decoration: none; }
@media (max-width: 760px) {
  header, main { padding-left: 12px; padding-right: 12px; }
  section.card { padding: 12px; }
  .colhead { display: none; }
  details.finding > summary { grid-template-columns: 84px 1fr; }
  details.finding > summary .title { grid-column: 1 / -1; }
  .body { padding-left: 8px; }
  table.wide thead { display: none; }
  table.wide tr { display: block; border-bottom: 1px solid #d8dee4; padding: 4px 0; }
  table.wide td { display: block; border: 0; padding: 1px 4px; }
}
"#;

/// The filter: reads the form (or the URL fragment) and hides what does not match.
const SCRIPT: &str = r#"
(function () {
  var d = document, root = d.documentElement;
  root.classList.add('js');
  var f = d.getElementById('filter');
  if (!f) return;
  var items = Array.prototype.slice.call(d.querySelectorAll('.finding'));
  var boxes = Array.prototype.slice.call(f.querySelectorAll('input[name=sev]'));
  function apply() {
    var sev = {};
    boxes.forEach(function (c) { sev[c.value] = c.checked; });
    var pkg = f.elements.pkg.value.trim().toLowerCase();
    var q = f.elements.q.value.trim().toLowerCase();
    var shown = 0;
    items.forEach(function (e) {
      var ok = sev[e.getAttribute('data-sev')] !== false
        && (!pkg || e.getAttribute('data-pkg').indexOf(pkg) >= 0)
        && (!q || e.getAttribute('data-text').indexOf(q) >= 0);
      e.hidden = !ok;
      if (ok) shown++;
    });
    Array.prototype.forEach.call(d.querySelectorAll('.group-box'), function (g) {
      g.hidden = !g.querySelector('.finding:not([hidden])');
    });
    d.getElementById('shown').textContent = shown + ' of ' + items.length + ' shown';
    root.setAttribute('data-shown', String(shown));
  }
  var h = new URLSearchParams(location.hash.slice(1));
  if (h.get('sev')) {
    var want = h.get('sev').toUpperCase().split(',');
    boxes.forEach(function (c) { c.checked = want.indexOf(c.value) >= 0; });
  }
  if (h.get('pkg')) f.elements.pkg.value = h.get('pkg');
  if (h.get('q')) f.elements.q.value = h.get('q');
  f.addEventListener('input', apply);
  f.addEventListener('submit', function (e) { e.preventDefault(); });
  apply();
  root.setAttribute('data-scroll-width', String(root.scrollWidth));
})();
"#;

const SEVERITIES: [Severity; 5] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
    Severity::Unknown,
];

/// Standard base64 of `bytes` (for the CSP script hash).
fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub(crate) fn write(report: &Report, opts: &WriteOptions, out: &mut String) -> std::fmt::Result {
    let title = match report.targets.as_slice() {
        [only] => format!("drydock report: {}", only.name),
        _ => "drydock report".to_string(),
    };
    let script_hash = base64(&Sha256::digest(SCRIPT.as_bytes()));
    writeln!(out, "<!DOCTYPE html>")?;
    writeln!(out, "<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">")?;
    writeln!(
        out,
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{script_hash}'\">"
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
    if report.kind == ReportKind::Vulnerability {
        summary(report, out)?;
        filter_form(report, opts, out)?;
    }
    for t in &report.targets {
        target(t, report, opts, out)?;
    }
    suppressed(report, out)?;
    if !report.policy_notices.is_empty() {
        writeln!(
            out,
            "<section class=\"card\"><h2>Ignore-file notices</h2><ul class=\"notices\">"
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
            "<section class=\"card\"><h2>Scan warnings</h2><ul class=\"notices\">"
        )?;
        for w in &report.errors {
            writeln!(out, "<li>{}</li>", esc(&w.to_string()))?;
        }
        writeln!(out, "</ul></section>")?;
    }
    writeln!(
        out,
        "</main>\n<footer>Written by {} {} at {}.</footer>",
        esc(&report.tool.name),
        esc(&report.tool.version),
        esc(&report.created_at)
    )?;
    if report.kind == ReportKind::Vulnerability {
        writeln!(out, "<script>{SCRIPT}</script>")?;
    }
    writeln!(out, "</body>\n</html>")
}

/// What ignore files, VEX and triage kept out, per source and rule, as the table and
/// Markdown sum it up.
fn suppressed(report: &Report, out: &mut String) -> std::fmt::Result {
    let sources = crate::suppression::summarize(report);
    if sources.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "<section class=\"card\" id=\"suppressed\"><h2>Suppressed</h2><ul class=\"notices\">"
    )?;
    for s in &sources {
        write!(out, "<li>{}", esc(&s.line()))?;
        if !s.rules.is_empty() {
            write!(out, "<ul>")?;
            for (at, rule) in &s.rules {
                write!(
                    out,
                    "<li><code>{}</code>: {}</li>",
                    esc(at),
                    esc(&rule.line())
                )?;
            }
            write!(out, "</ul>")?;
        }
        writeln!(out, "</li>")?;
    }
    writeln!(out, "</ul></section>")
}

fn counts_badges(counts: &BTreeMap<Severity, usize>, out: &mut String) -> std::fmt::Result {
    for s in SEVERITIES {
        let n = counts.get(&s).copied().unwrap_or(0);
        let zero = if n == 0 { " zero" } else { "" };
        write!(out, "<span class=\"badge sev-{s}{zero}\">{s} {n}</span>")?;
    }
    Ok(())
}

/// Counts over all targets, the gate, and what could not be checked.
fn summary(report: &Report, out: &mut String) -> std::fmt::Result {
    let mut counts: BTreeMap<Severity, usize> = BTreeMap::new();
    for t in &report.targets {
        for (s, n) in t.severity_counts() {
            *counts.entry(s).or_default() += n;
        }
    }
    let total: usize = counts.values().sum();
    writeln!(
        out,
        "<section class=\"card\" id=\"summary\"><h2>Summary</h2>"
    )?;
    write!(
        out,
        "<div class=\"counts\"><span class=\"total\">{total} vulnerabilit{}</span>",
        if total == 1 { "y" } else { "ies" }
    )?;
    counts_badges(&counts, out)?;
    writeln!(out, "</div>")?;
    match &report.gate {
        Some(gate) => {
            let threshold = gate
                .fail_on
                .map_or_else(String::new, |s| format!(" at or above {s}"));
            let noun = if gate.counted == 1 {
                "finding"
            } else {
                "findings"
            };
            let (class, label) = if gate.failed {
                ("failed", "Gate: FAILED")
            } else {
                ("passed", "Gate: passed")
            };
            writeln!(
                out,
                "<p class=\"gate {class}\">{label} ({} {noun}{threshold})</p>",
                gate.counted
            )?;
        }
        None => writeln!(
            out,
            "<p class=\"gate\">No gate was asked for (no <code>--exit-code</code> or <code>--fail-on</code>): the scan exits 0.</p>"
        )?,
    }
    for t in &report.targets {
        if let Some(line) = t.coverage_notice() {
            let prefix = if report.targets.len() > 1 {
                format!("{}: ", t.name)
            } else {
                String::new()
            };
            writeln!(
                out,
                "<p class=\"coverage\">{}{}</p>",
                esc(&prefix),
                esc(&line)
            )?;
        }
    }
    writeln!(out, "</section>")
}

fn filter_form(report: &Report, opts: &WriteOptions, out: &mut String) -> std::fmt::Result {
    let any = report
        .targets
        .iter()
        .any(|t| t.shown(opts.show_suppressed).next().is_some());
    if !any {
        return Ok(());
    }
    write!(
        out,
        "<form class=\"filter\" id=\"filter\" role=\"search\"><strong>Filter</strong>"
    )?;
    for s in SEVERITIES {
        write!(
            out,
            "<label><input type=\"checkbox\" name=\"sev\" value=\"{s}\" checked> <span class=\"badge sev-{s}\">{s}</span></label>"
        )?;
    }
    writeln!(
        out,
        "<label>Package <input type=\"search\" name=\"pkg\" placeholder=\"name\"></label><label>Text <input type=\"search\" name=\"q\" placeholder=\"id, title, path…\"></label><span id=\"shown\"></span></form>"
    )
}

fn target(
    t: &TargetReport,
    report: &Report,
    opts: &WriteOptions,
    out: &mut String,
) -> std::fmt::Result {
    writeln!(
        out,
        "<section class=\"card target\">\n<h2>{}</h2>",
        esc(&t.name)
    )?;
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
    match report.kind {
        ReportKind::Sbom => packages(t, out)?,
        ReportKind::Vulnerability => {
            findings(t, report, opts, out)?;
            if !t.packages.is_empty() {
                writeln!(
                    out,
                    "<details class=\"packages\"><summary>Packages ({})</summary>",
                    t.packages.len()
                )?;
                packages(t, out)?;
                writeln!(out, "</details>")?;
            }
        }
    }
    writeln!(out, "</section>")
}

fn findings(
    t: &TargetReport,
    report: &Report,
    opts: &WriteOptions,
    out: &mut String,
) -> std::fmt::Result {
    let counts = t.severity_counts();
    let total: usize = counts.values().sum();
    write!(
        out,
        "<div class=\"counts\"><span class=\"total\">{total} vulnerabilit{}</span>",
        if total == 1 { "y" } else { "ies" }
    )?;
    counts_badges(&counts, out)?;
    writeln!(out, "</div>")?;
    let groups = finding_groups(t, opts.show_suppressed);
    if groups.is_empty() {
        let text = if t.coverage_notice().is_some() {
            "No vulnerabilities found in what could be checked."
        } else {
            "No vulnerabilities found."
        };
        writeln!(out, "<p class=\"none\">{text}</p>")?;
    }
    for g in groups {
        let mut gc: BTreeMap<Severity, usize> = BTreeMap::new();
        for d in g.findings.iter().filter(|d| is_reported(d)) {
            *gc.entry(d.finding.severity).or_default() += 1;
        }
        let n: usize = gc.values().sum();
        let parts: Vec<String> = SEVERITIES
            .iter()
            .filter_map(|s| gc.get(s).map(|c| format!("{s}: {c}")))
            .collect();
        writeln!(
            out,
            "<div class=\"group-box\"><h3 class=\"group\">{}<small>{} · Total: {n}{}</small></h3>",
            esc(&g.label),
            esc(g.ecosystem.as_str()),
            if parts.is_empty() {
                String::new()
            } else {
                format!(" ({})", parts.join(", "))
            }
        )?;
        writeln!(
            out,
            "<div class=\"colhead\"><span>Severity</span><span>Vulnerability</span><span>Package</span><span>Installed</span><span>Fixed</span><span>Title</span></div>"
        )?;
        for d in g.findings {
            finding(d, report, out)?;
        }
        writeln!(out, "</div>")?;
    }
    checks(t, opts, out)?;
    let hidden =
        t.findings.iter().filter(|d| !is_reported(d)).count() + crate::misconfig::hidden(t);
    if hidden > 0 && !opts.show_suppressed {
        writeln!(
            out,
            "<p class=\"muted\">{hidden} suppressed or filtered finding{} not shown.</p>",
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
            "<table class=\"wide\">\n<thead><tr><th>Kind</th><th>Advisory</th><th>Package</th><th>Installed</th><th>Title</th></tr></thead>\n<tbody>"
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

/// `--scanners misconfig,secret`: a table each of misconfigurations and secrets (severity,
/// check id, where it was seen, title, fix), muted rows with their verdict when shown.
fn checks(t: &TargetReport, opts: &WriteOptions, out: &mut String) -> std::fmt::Result {
    for (label, list) in crate::misconfig::sections(t, opts.show_suppressed) {
        let reported = list.iter().filter(|e| e.is_reported()).count();
        writeln!(
            out,
            "<h3>{label} <small>Total: {reported} ({})</small></h3>",
            esc(&crate::misconfig::counts_text(&list))
        )?;
        writeln!(
            out,
            "<table class=\"wide checks\">\n<thead><tr><th>Severity</th><th>Check</th><th>Location</th><th>Title</th><th>Fix</th></tr></thead>\n<tbody>"
        )?;
        for e in list {
            let f = &e.finding;
            let (class, why) = if e.is_reported() {
                ("", String::new())
            } else {
                (
                    " class=\"muted\"",
                    format!(
                        " <span class=\"why\">{}</span>",
                        esc(&crate::misconfig::verdict_text(e))
                    ),
                )
            };
            writeln!(
                out,
                "<tr{class}><td><span class=\"badge sev-{}\">{}</span></td><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td>{}{why}</td><td>{}</td></tr>",
                e.severity(),
                f.severity,
                esc(&f.id),
                esc(&f.evidence.location()),
                esc(&f.title),
                esc(&f.fix)
            )?;
        }
        writeln!(out, "</tbody>\n</table>")?;
    }
    Ok(())
}

/// Why a finding is not reported, for the muted row: `suppressed: reason (by .trivyignore:3)`.
fn hidden_reason(d: &Decision) -> String {
    let mut s = serde_name(&d.verdict);
    if let Some(r) = &d.reason {
        s.push_str(": ");
        s.push_str(r);
    }
    if let Some(by) = &d.suppressed_by
        && !s.contains(by.as_str())
    {
        s.push_str(&format!(" ({by})"));
    }
    if let Some(e) = &d.expires {
        s.push_str(&format!(", expires {e}"));
    }
    s
}

fn finding(d: &Decision, report: &Report, out: &mut String) -> std::fmt::Result {
    let f = &d.finding;
    let reported = is_reported(d);
    let title = display_title(f);
    let paths = f
        .locations
        .iter()
        .map(|l| l.path.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let text = format!(
        "{} {} {} {} {} {} {}",
        f.id,
        f.aliases.join(" "),
        f.package,
        f.installed,
        title,
        paths,
        f.ecosystem.as_str()
    )
    .to_lowercase();
    writeln!(
        out,
        "<details class=\"finding{}\" data-sev=\"{}\" data-pkg=\"{}\" data-text=\"{}\">",
        if reported { "" } else { " muted" },
        f.severity,
        esc(&f.package.to_lowercase()),
        esc(&text)
    )?;
    let why = if reported {
        match (&report.gate, d.verdict) {
            (Some(_), Verdict::Fail) => {
                "<span class=\"why\">counts against the gate</span>".to_string()
            }
            _ => String::new(),
        }
    } else {
        format!("<span class=\"why\">{}</span>", esc(&hidden_reason(d)))
    };
    writeln!(
        out,
        "<summary><span><span class=\"badge sev-{s}\">{s}</span></span><span class=\"mono\">{}</span><span class=\"mono\">{}</span><span class=\"mono\">{}</span><span class=\"mono fixed\">{}</span><span class=\"title\">{}{why}</span></summary>",
        esc(&f.id),
        esc(&f.package),
        esc(&f.installed),
        esc(f.fixed.as_deref().unwrap_or("")),
        esc(title),
        s = f.severity,
    )?;
    writeln!(out, "<div class=\"body\">")?;
    details(f, out)?;
    writeln!(out, "</div>\n</details>")
}

fn details(f: &Finding, out: &mut String) -> std::fmt::Result {
    write!(out, "<dl>")?;
    let mut row = |k: &str, v: String| write!(out, "<dt>{k}</dt><dd>{v}</dd>");
    row(
        "Package",
        format!(
            "<span class=\"mono\">{} {}</span> ({})",
            esc(&f.package),
            esc(&f.installed),
            esc(f.ecosystem.as_str())
        ),
    )?;
    if let Some(src) = &f.source_package {
        row(
            "Source package",
            format!("<span class=\"mono\">{}</span>", esc(&src.name)),
        )?;
    }
    if !f.locations.is_empty() {
        let paths: Vec<String> = f
            .locations
            .iter()
            .map(|l| format!("<span class=\"mono\">{}</span>", esc(&l.path)))
            .collect();
        row("Path", paths.join("<br>"))?;
    }
    row(
        "Fixed in",
        match &f.fixed {
            Some(v) => format!("<span class=\"mono fixed\">{}</span>", esc(v)),
            None => esc(f.status.as_str()),
        },
    )?;
    if let Some(e) = &f.evidence {
        row("Reachability", esc(&e.to_string()))?;
    }
    if !f.aliases.is_empty() {
        row("Aliases", esc(&f.aliases.join(", ")))?;
    }
    for c in &f.cvss {
        let mut v = format!(
            "{:.1} {} <span class=\"mono\">{}</span> ({})",
            c.base_score,
            c.base_severity,
            esc(&c.vector),
            esc(&c.source)
        );
        if let (Some(score), Some(vector)) = (c.environmental_score, &c.environmental_vector) {
            v.push_str(&format!(
                "<br>environmental {score:.1} <span class=\"mono\">{}</span>",
                esc(vector)
            ));
        }
        row(&format!("CVSS {}", esc(&c.version)), v)?;
    }
    if !f.cwes.is_empty() {
        row("CWE", esc(&f.cwes.join(", ")))?;
    }
    if let Some(p) = &f.published {
        row("Published", esc(p))?;
    }
    write!(out, "</dl>")?;
    if let Some(desc) = f.description.as_deref().filter(|d| !d.trim().is_empty()) {
        writeln!(out, "<p>{}</p>", esc(desc.trim()))?;
    }
    let mut links: Vec<String> = Vec::new();
    for url in f.primary_url.iter().chain(f.references.iter()) {
        if links.len() >= 6 {
            break;
        }
        if let Some(u) = link_url(url)
            && !links.iter().any(|l| l.contains(&esc(&u)))
        {
            links.push(format!("<a href=\"{}\">{}</a>", esc(&u), esc(&u)));
        }
    }
    if !links.is_empty() {
        writeln!(out, "<p>{}</p>", links.join("<br>"))?;
    }
    Ok(())
}

fn packages(t: &TargetReport, out: &mut String) -> std::fmt::Result {
    if t.packages.is_empty() {
        return writeln!(out, "<p>No packages found.</p>");
    }
    writeln!(
        out,
        "<table class=\"wide\">\n<thead><tr><th>Ecosystem</th><th>Package</th><th>Version</th><th>Source</th><th>Layer</th><th>Path</th></tr></thead>\n<tbody>"
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }
}
