//! The pages of the site, built with `maud`. Untrusted text goes through [`Text`], which
//! escapes markup and quotes and blanks control characters, so a title such as
//! `<script>…` or `"><img onerror=…>` stays text.

use std::collections::BTreeMap;

use base64::Engine as _;
use drydock_match::Severity;
use drydock_policy::Date;
use maud::{DOCTYPE, Markup, PreEscaped, Render, html};
use sha2::{Digest as _, Sha256};

use super::{Finding, Image, Release, Shown, Site, image_path, release_path};
use crate::state::date_of_unix;

const STYLE: &str = include_str!("site.css");
const SCRIPT: &str = include_str!("site.js");

/// Untrusted text for an HTML text node or a quoted attribute value, escaped by drydock's one
/// HTML escaper ([`drydock_report::escape_html`]: markup and quotes escaped, control
/// characters blanked), the one drydock's HTML report uses.
pub(crate) struct Text<'a>(pub &'a str);

impl Render for Text<'_> {
    fn render_to(&self, out: &mut String) {
        out.push_str(&drydock_report::escape_html(self.0));
    }
}

fn t(s: &str) -> Text<'_> {
    Text(s)
}

/// An advisory link: `http(s)` only, never `javascript:` or a relative path.
fn advisory_url(url: Option<&str>) -> Option<&str> {
    let u = url?.trim();
    let lower = u.get(..8).unwrap_or(u).to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")).then_some(u)
}

fn when(secs: i64) -> String {
    jiff::Timestamp::from_second(secs)
        .map(|ts| ts.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|_| secs.to_string())
}

/// Counts by severity (every shown severity, zero included) and by shown state.
struct Counts {
    total: usize,
    severity: BTreeMap<Severity, usize>,
    state: BTreeMap<Shown, usize>,
    suppressed: usize,
}

impl Counts {
    fn of<'a>(site: &Site, findings: impl Iterator<Item = &'a Finding>) -> Counts {
        let today = site.today();
        let mut c = Counts {
            total: 0,
            severity: site.severities.iter().map(|s| (*s, 0)).collect(),
            state: BTreeMap::new(),
            suppressed: 0,
        };
        for f in findings {
            c.total += 1;
            *c.severity.entry(f.severity).or_insert(0) += 1;
            *c.state.entry(f.shown(today)).or_insert(0) += 1;
            c.suppressed += usize::from(f.suppressed(today));
        }
        c
    }

    fn severity_badges(&self) -> Markup {
        html! {
            @for (sev, n) in self.severity.iter().rev() {
                span class={ "sev sev-" (sev.as_str()) @if *n == 0 { " zero" } } {
                    (sev.as_str()) " " (n)
                }
            }
        }
    }

    fn states(&self) -> Markup {
        html! {
            @for (state, n) in &self.state {
                span class={ "state state-" (state.as_str()) } { (state.as_str()) " " (n) } " "
            }
        }
    }
}

fn sev_badge(sev: Severity) -> Markup {
    html! { span class={ "sev sev-" (sev.as_str()) } { (sev.as_str()) } }
}

/// One page: `depth` is how many directories below the root it lives (for relative links).
fn layout(
    site: &Site,
    depth: usize,
    title: &str,
    crumbs: &[(&str, Option<String>)],
    body: Markup,
) -> String {
    let up = "../".repeat(depth);
    let script_hash =
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(SCRIPT.as_bytes()));
    let csp = format!(
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{script_hash}'; \
         base-uri 'none'; form-action 'none'"
    );
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta http-equiv="Content-Security-Policy" content=(csp);
                meta name="referrer" content="no-referrer";
                meta name="generator" content="drydock publish";
                title { (t(title)) " · drydock release scan" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    nav.crumbs aria-label="breadcrumb" {
                        span { a href={ (up) "index.html" } { "Releases" } }
                        @for (name, href) in crumbs {
                            span {
                                @if let Some(h) = href { a href={ (up) (h) } { (t(name)) } }
                                @else { (t(name)) }
                            }
                        }
                    }
                    h1 { (t(title)) }
                    dl.facts {
                        div { dt { "Run" } dd { (t(&site.run_id)) } }
                        div { dt { "Run date" } dd { (when(site.run_finished_at.unwrap_or(site.run_started_at))) } }
                        div { dt { "DB built" } dd { (t(site.db_built_at.as_deref().unwrap_or("unknown"))) } }
                        div { dt { "Generated" } dd { (when(site.generated_at)) } }
                    }
                }
                main { (body) }
                footer {
                    "Written by " code { "drydock publish" } ". Rows: severities "
                    (site.severities.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "))
                    "; expiry judged on " (site.today().to_string()) "."
                }
                script { (PreEscaped(SCRIPT)) }
            }
        }
    };
    let mut s = page.into_string();
    s.push('\n');
    s
}

/// Every page of the site as `(path relative to the root, HTML)`, index first.
pub fn render(site: &Site) -> Vec<(String, String)> {
    let mut pages = vec![("index.html".to_string(), index(site))];
    for r in &site.releases {
        pages.push((release_path(&r.name), release(site, r)));
        for i in &r.images {
            pages.push((image_path(&r.name, &i.reference), image(site, r, i)));
        }
    }
    pages
}

fn index(site: &Site) -> String {
    let body = html! {
        section {
            h2 { "Releases" }
            @if site.releases.is_empty() { p { "The run has no release." } }
            @else {
                table.releases {
                    thead { tr {
                        th { "Release" } th.num { "Images" } th.num { "Findings" }
                        @for s in &site.severities { th.num { (s.as_str()) } }
                        th.num { "Suppressed" } th { "By triage state" } th { "CSV" }
                    } }
                    tbody {
                        @for r in &site.releases {
                            @let c = Counts::of(site, r.images.iter().flat_map(|i| &i.findings));
                            tr {
                                td { a href=(release_path(&r.name)) { (t(&r.name)) } }
                                td.num { (r.images.len()) }
                                td.num { (c.total) }
                                @for s in &site.severities { td.num { (c.severity.get(s).copied().unwrap_or(0)) } }
                                td.num { (c.suppressed) }
                                td { (c.states()) }
                                td { a href=(t(&r.csv)) { (t(&r.csv)) } }
                            }
                        }
                    }
                }
            }
            p { "The same data for other tools: " a href="index.json" { "index.json" } "." }
        }
        (legend())
    };
    layout(site, 0, "Release scans", &[], body)
}

fn legend() -> Markup {
    html! {
        section {
            h2 { "Triage states" }
            p {
                span.state.state-untriaged { "untriaged" } " no decision yet (CSV " code { "triaged" } "); "
                span.state.state-in_triage { "in_triage" } ", "
                span.state.state-affected { "affected" } " real, to fix; "
                span.state.state-waiting { "waiting" } " on upstream (CSV " code { "waiting" } "); "
                span.state.state-not_affected { "not_affected" } ", "
                span.state.state-false_positive { "false_positive" } ", "
                span.state.state-accepted { "accepted" } " suppressed with a reason (CSV " code { "ignore" } "); "
                span.state.state-expired { "expired" } " an acceptance past its date, counted again."
            }
        }
    }
}

fn release(site: &Site, r: &Release) -> String {
    let c = Counts::of(site, r.images.iter().flat_map(|i| &i.findings));
    let failed = r.images.iter().filter(|i| i.error.is_some()).count();
    let body = html! {
        section {
            h2 { "Summary" }
            div.counts { span { (c.total) " findings in " (r.images.len()) " images" } (c.severity_badges()) }
            div.counts { (c.states()) }
            @if failed > 0 { p.error { (failed) " image scans failed: their findings are unknown." } }
            p { "CSV: " a href={ "../" (t(&r.csv)) } { (t(&r.csv)) } }
        }
        section {
            h2 { "Images" }
            form.filter hidden role="search" {
                label { "Text " input type="search" name="q" placeholder="image, repository"; }
                output {}
            }
            table.filterable.images {
                thead { tr {
                    th data-sort { "Image" } th data-sort { "Mirrored" } th.num data-sort { "Findings" }
                    @for s in &site.severities { th.num data-sort { (s.as_str()) } }
                    th.num data-sort { "Suppressed" } th { "By triage state" }
                } }
                tbody {
                    @for i in &r.images {
                        @let ic = Counts::of(site, i.findings.iter());
                        tr {
                            td {
                                a href=(image_file(&r.name, &i.reference)) { (t(&i.reference)) }
                                @if let Some(e) = &i.error { span.why.error { "scan failed: " (t(e)) } }
                            }
                            td { @if i.mirrored { "mirrored" } }
                            td.num { (ic.total) }
                            @for s in &site.severities { td.num { (ic.severity.get(s).copied().unwrap_or(0)) } }
                            td.num { (ic.suppressed) }
                            td { (ic.states()) }
                        }
                    }
                }
            }
        }
    };
    layout(
        site,
        1,
        &format!("Release {}", r.name),
        &[(&r.name, None)],
        body,
    )
}

/// An image page's link from its release page (both under `releases/`).
fn image_file(release: &str, reference: &str) -> String {
    let p = image_path(release, reference);
    p.strip_prefix("releases/").unwrap_or(&p).to_string()
}

fn image(site: &Site, r: &Release, i: &Image) -> String {
    let today = site.today();
    let c = Counts::of(site, i.findings.iter());
    let body = html! {
        section {
            h2 { "Image" }
            dl.facts {
                div { dt { "Reference" } dd { (t(&i.reference)) } }
                div { dt { "Repository" } dd { (t(&i.repository)) } }
                @if let Some(d) = &i.digest { div { dt { "Digest" } dd { (t(d)) } } }
                @if let Some(o) = &i.os { div { dt { "OS" } dd { (t(o)) } } }
                @if i.mirrored { div { dt { "Mirrored" } dd { "from upstream" } } }
            }
            div.counts { span { (c.total) " findings" } (c.severity_badges()) }
            div.counts { (c.states()) }
            p { "Release " a href={ "../" (release_file(&r.name)) } { (t(&r.name)) } "; CSV: "
                a href={ "../../" (t(&r.csv)) } { (t(&r.csv)) } }
        }
        section {
            h2 { "Findings" }
            @if let Some(e) = &i.error {
                p.error { "The scan failed, so its findings are unknown: " (t(e)) }
            } @else if i.findings.is_empty() {
                p { "No finding at the published severities." }
            } @else {
                form.filter hidden role="search" {
                    label { "Severity " select name="sev" {
                        option value="" { "any" }
                        @for s in &site.severities { option value=(s.as_str()) { (s.as_str()) } }
                    } }
                    label { "State " select name="state" {
                        option value="" { "any" }
                        @for s in c.state.keys() { option value=(s.as_str()) { (s.as_str()) } }
                    } }
                    label { "Package " input type="search" name="pkg"; }
                    label { "Text " input type="search" name="q"; }
                    output {}
                }
                table.filterable.findings {
                    thead { tr {
                        th data-sort { "Severity" } th data-sort { "Vulnerability" } th data-sort { "Package" }
                        th { "Installed" } th { "Fixed" } th data-sort { "State" } th { "Reason" }
                        th data-sort { "First seen" }
                    } }
                    tbody {
                        @for f in &i.findings { (finding_row(f, today)) }
                    }
                }
            }
        }
    };
    layout(
        site,
        2,
        &i.reference,
        &[(&r.name, Some(release_path(&r.name))), (&i.reference, None)],
        body,
    )
}

/// The release page's file name, relative to `releases/` (an image page links `../` to it).
fn release_file(release: &str) -> String {
    let p = release_path(release);
    p.strip_prefix("releases/").unwrap_or(&p).to_string()
}

fn finding_row(f: &Finding, today: Date) -> Markup {
    let shown = f.shown(today);
    let class = if f.suppressed(today) {
        "suppressed"
    } else if shown == Shown::Expired {
        "expired"
    } else {
        ""
    };
    html! {
        tr class=[(!class.is_empty()).then_some(class)]
            data-sev=(f.severity.as_str()) data-state=(shown.as_str()) data-pkg=(t(&f.package)) {
            td data-v=(u8::MAX - f.severity as u8) { (sev_badge(f.severity)) }
            td.vuln {
                @if let Some(u) = advisory_url(f.url.as_deref()) {
                    a href=(t(u)) rel="noopener noreferrer" { (t(&f.vuln_id)) }
                } @else { (t(&f.vuln_id)) }
                @if let Some(title) = &f.title { span.title { (t(title)) } }
            }
            td { (t(&f.package)) span.why { (t(&f.pkg_type)) } }
            td.mono { (t(&f.installed)) }
            td.mono { (t(f.fixed.as_deref().unwrap_or(""))) }
            td {
                span class={ "state state-" (shown.as_str()) } { (shown.as_str()) }
                span.why.nowrap { "CSV: " (f.csv_state(today).as_str()) }
            }
            td { @if let Some((id, tr)) = &f.triage {
                @if let Some(j) = tr.justification { code { (j.as_str()) } " " }
                @if let Some(reason) = &tr.reason { (t(reason)) }
                @if let Some(notes) = &tr.notes { span.why { (t(notes)) } }
                @if let Some(e) = tr.expires {
                    span.why { @if e < today { "expired on " } @else { "until " } (e.to_string()) }
                }
                @if let Some(o) = &tr.owner { span.why { "owner " (t(o)) } }
                @if let Some(a) = &tr.approver { span.why { "approved by " (t(a)) } }
                span.why { "triage #" (id) " (" (t(&tr.scope.to_string())) ")" }
            } }
            td.date data-v=(f.first_seen_at) { (date_of_unix(f.first_seen_at).to_string()) }
        }
    }
}

#[cfg(test)]
mod tests;
