//! The HTML pages. Every value is spliced through maud, which escapes it; advisory text (HTML
//! and Markdown from feeds) is shown as text, and only `http(s)` links become links.

use axum::body::Bytes;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{DOCTYPE, Markup, html};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;

use crate::Shared;
use crate::auth::{self, LOGIN_COOKIE, SESSION_COOKIE};
use crate::error::{AppError, PageError};
use crate::http::{Query, Who};
use crate::view::{
    self, Counts, FindingRow, ListKind, Page, Params, RunOut, SEVERITIES, SORTS, STATES,
};
use crate::write::{self, TriageForm};

type PageResult = Result<Response, PageError>;

/// Everything but unreserved characters is encoded, in paths and query values alike.
const ENC: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn enc(s: &str) -> String {
    utf8_percent_encode(s, ENC).to_string()
}

/// `path?k=v&…` with the list parameters of `p`, some replaced (`None` removes one).
fn link(path: &str, p: &Params, set: &[(&str, Option<&str>)]) -> String {
    let mut pairs: Vec<(String, String)> = match serde_json::to_value(p) {
        Ok(serde_json::Value::Object(m)) => m
            .into_iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_string())))
            .filter(|(_, v)| !v.is_empty())
            .collect(),
        _ => Vec::new(),
    };
    for (k, v) in set {
        pairs.retain(|(pk, _)| pk != k);
        if let Some(v) = v {
            pairs.push((k.to_string(), v.to_string()));
        }
    }
    pairs.sort();
    if pairs.is_empty() {
        return path.to_string();
    }
    let q: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect();
    format!("{path}?{}", q.join("&"))
}

fn finding_href(vuln: &str) -> String {
    format!("/findings/{}", enc(vuln))
}

fn image_href(reference: &str) -> String {
    format!("/image?ref={}", enc(reference))
}

fn release_href(name: &str) -> String {
    format!("/releases/{}", enc(name))
}

/// Only web links: a feed's `javascript:` URL never becomes a link.
fn safe_url(u: &str) -> Option<&str> {
    let l = u.trim_start().to_ascii_lowercase();
    (l.starts_with("https://") || l.starts_with("http://")).then_some(u)
}

fn respond(status: StatusCode, m: Markup) -> Response {
    (status, Html(m.into_string())).into_response()
}

fn layout(title: &str, who: &Who, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · drydock" }
                link rel="icon" href="data:,";
                link rel="stylesheet" href="/static/app.css";
                script src="/static/app.js" defer {}
            }
            body {
                header.top {
                    a.brand href="/" { "drydock" }
                    nav {
                        a href="/" { "Overview" }
                        a href="/findings" { "Findings" }
                        a href="/needs-triage" { "Needs triage" }
                        a href="/new" { "New since last run" }
                        a href="/expiring" { "Expiring soon" }
                        a href="/runs" { "Runs" }
                    }
                    div.who {
                        @if let Some(p) = &who.principal {
                            span { (p.name) " (" (p.role.as_str()) ")" }
                            @if let Some(csrf) = &p.csrf {
                                form method="post" action="/logout" {
                                    input type="hidden" name="csrf" value=(csrf);
                                    button type="submit" { "Log out" }
                                }
                            }
                        } @else {
                            a href="/login" { "Log in" }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

pub fn error_page(status: StatusCode, message: &str) -> Html<String> {
    let m = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { (status.as_u16()) " · drydock" }
                link rel="stylesheet" href="/static/app.css";
            }
            body {
                header.top { a.brand href="/" { "drydock" } }
                main {
                    h1 { (status.as_u16()) " " (status.canonical_reason().unwrap_or("")) }
                    p.flash.error { (message) }
                    p { a href="/" { "Back to the overview" } }
                }
            }
        }
    };
    Html(m.into_string())
}

fn sev_badge(s: &str) -> Markup {
    html! { span class=(format!("badge sev-{s}")) { (s) } }
}

fn state_badge(s: &str) -> Markup {
    html! { span class=(format!("badge st-{s}")) { (s.replace('_', " ")) } }
}

fn counts_badges(c: &Counts) -> Markup {
    html! {
        div.stats {
            @for s in SEVERITIES {
                @if let Some(n) = c.by_severity.get(s) { span class=(format!("badge sev-{s}")) { (s) " " (n) } }
            }
        }
        div.stats {
            @for s in STATES {
                @if let Some(n) = c.by_state.get(s) { span class=(format!("badge st-{s}")) { (s.replace('_', " ")) " " (n) } }
            }
        }
    }
}

fn run_line(r: &RunOut) -> Markup {
    html! {
        p.muted {
            "Run " strong { (r.run_id) } " (#" (r.seq) ") started " (r.started) " · "
            (r.images_ok) " images scanned"
            @if r.images_failed > 0 { ", " span.badge.failed { (r.images_failed) " failed" } }
            " · drydock " (r.drydock_version)
            @if let Some(db) = &r.db_built_at { " · DB built " (db) }
        }
    }
}

/// The filter form of a list; its URL carries every filter, so a view can be shared.
fn filter_form(action: &str, p: &Params, hidden: &[(&str, &str)]) -> Markup {
    let sel =
        |cur: &Option<String>, v: &str| cur.as_deref().is_some_and(|c| c.eq_ignore_ascii_case(v));
    html! {
        form.filters method="get" action=(action) {
            @for (k, v) in hidden { input type="hidden" name=(k) value=(v); }
            label { "Severity"
                select name="severity" {
                    option value="" { "any" }
                    @for s in SEVERITIES { option value=(s) selected[sel(&p.severity, s)] { (s) } }
                }
            }
            label { "State"
                select name="state" {
                    option value="" { "any" }
                    @for s in STATES { option value=(s) selected[sel(&p.state, s)] { (s.replace('_', " ")) } }
                }
            }
            label { "Package" input type="text" name="package" value=(p.package.as_deref().unwrap_or("")) size="14"; }
            label { "Ecosystem" input type="text" name="ecosystem" value=(p.ecosystem.as_deref().unwrap_or("")) size="8"; }
            label { "Text" input type="search" name="q" value=(p.q.as_deref().unwrap_or("")) placeholder="CVE, package, title" size="18"; }
            label { "Sort"
                select name="sort" {
                    @for s in SORTS { option value=(s) selected[sel(&p.sort, s)] { (s.replace('_', " ")) } }
                }
            }
            label { "Order"
                select name="order" {
                    option value="" { "default" }
                    option value="asc" selected[sel(&p.order, "asc")] { "ascending" }
                    option value="desc" selected[sel(&p.order, "desc")] { "descending" }
                }
            }
            label { "Per page" input type="number" name="per_page" min="1" max=(view::MAX_PER_PAGE) value=(p.per_page.as_deref().unwrap_or("50")) size="4"; }
            button type="submit" { "Filter" }
            a href=(action_with_hidden(action, hidden)) { "Clear" }
        }
    }
}

fn action_with_hidden(action: &str, hidden: &[(&str, &str)]) -> String {
    if hidden.is_empty() {
        action.to_string()
    } else {
        let q: Vec<String> = hidden
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect();
        format!("{action}?{}", q.join("&"))
    }
}

fn pager<T>(path: &str, p: &Params, page: &Page<T>) -> Markup {
    html! {
        nav.pager aria-label="pages" {
            span.muted { (page.total) " in all · page " (page.page) " of " (page.pages) }
            @if page.page > 1 {
                a rel="prev" href=(link(path, p, &[("page", Some(&(page.page - 1).to_string()))])) { "← previous" }
            }
            @if page.page < page.pages {
                a rel="next" href=(link(path, p, &[("page", Some(&(page.page + 1).to_string()))])) { "next →" }
            }
        }
    }
}

fn sort_th(path: &str, p: &Params, key: &str, label: &str) -> Markup {
    let current = p.sort.as_deref().unwrap_or("severity") == key;
    let order = if current && p.order.as_deref() != Some("asc") {
        "asc"
    } else {
        "desc"
    };
    html! {
        th { a href=(link(path, p, &[("sort", Some(key)), ("order", Some(order)), ("page", None)])) { (label) @if current { " ↕" } } }
    }
}

fn findings_table(path: &str, p: &Params, page: &Page<FindingRow>, show_image: bool) -> Markup {
    html! {
        @if page.items.is_empty() {
            p.muted { "No findings match." }
        } @else {
            div.scroll {
                table.findings {
                    thead { tr {
                        (sort_th(path, p, "severity", "Severity"))
                        (sort_th(path, p, "vuln", "Vulnerability"))
                        (sort_th(path, p, "package", "Package"))
                        th { "Installed" }
                        (sort_th(path, p, "fixed", "Fixed in"))
                        (sort_th(path, p, "state", "State"))
                        @if show_image { (sort_th(path, p, "image", "Image")) }
                        (sort_th(path, p, "first_seen", "First seen"))
                        th { "Layer / path" }
                        th { "Advisory" }
                    } }
                    tbody {
                        @for r in &page.items {
                            tr {
                                td { (sev_badge(&r.severity)) }
                                td {
                                    a href=(finding_href(&r.vuln_id)) { (r.vuln_id) }
                                    @if r.new { " " span.badge { "new" } }
                                    @if let Some(t) = &r.title { span.title { (t) } }
                                }
                                td { (r.package) " " span.muted { (r.ecosystem) } }
                                td { (r.installed) }
                                td { (r.fixed.as_deref().unwrap_or("—")) " " span.muted { (r.status.replace('_', " ")) } }
                                td {
                                    (state_badge(&r.state))
                                    @if let Some(e) = &r.expires { br; span.muted { "until " (e) } }
                                }
                                @if show_image { td { a href=(image_href(&r.reference)) { (r.reference) } } }
                                td { (r.first_seen_at_date()) }
                                td.path {
                                    @if let Some(l) = &r.layer { (l.get(..19).unwrap_or(l)) br; }
                                    (r.path.as_deref().unwrap_or(""))
                                }
                                td {
                                    @match r.url.as_deref().and_then(safe_url) {
                                        Some(u) => a href=(u) rel="noopener noreferrer" { (r.advisory_id) },
                                        None => span { (r.advisory_id) },
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

impl FindingRow {
    fn first_seen_at_date(&self) -> String {
        view::fmt_time(self.first_seen_at)
            .get(..10)
            .unwrap_or("")
            .to_string()
    }
}

pub async fn overview(State(st): State<Shared>, who: Who) -> PageResult {
    who.read(&st)?;
    let (_, today) = view::now();
    let o = st.pool.with(move |s| view::overview(s, today)).await?;
    let body = html! {
        h1 { "Overview" }
        @match &o.run {
            None => p { "No complete run in the store yet: record one with " code { "drydock fleet scan" } "." },
            Some(r) => (run_line(r)),
        }
        div.stats {
            a.badge.st-untriaged href="/needs-triage" { "Needs triage: " (o.needs_triage) }
            a.badge href="/new" { "New since last run: " (o.new_since_last_run) }
            a.badge.st-expired href="/expiring" { "Expiring in 14 days: " (o.expiring_soon) }
        }
        div.cards {
            @for r in &o.releases {
                section.card {
                    h2 {
                        @match &r.name {
                            Some(n) => a href=(release_href(n)) { "Release " (n) },
                            None => a href="/findings" { "All images" },
                        }
                    }
                    p {
                        (r.images) " images"
                        @if r.images_failed > 0 { " · " span.badge.failed { (r.images_failed) " failed" } }
                        " · " (r.counts.total) " findings"
                    }
                    (counts_badges(&r.counts))
                    @if let Some(n) = &r.name {
                        p {
                            a href=(format!("/readiness/{}", enc(n))) {
                                @if r.blocking == 0 { span.ready { "Ready for release" } }
                                @else { span.notready { (r.blocking) " open items block the release" } }
                            }
                        }
                    }
                    (crate::chart::trend(&r.trend))
                }
            }
        }
    };
    Ok(respond(StatusCode::OK, layout("Overview", &who, body)))
}

pub async fn runs(State(st): State<Shared>, who: Who, Query(p): Query) -> PageResult {
    who.read(&st)?;
    let f = p.filter()?;
    let page = st.pool.with(move |s| view::runs(s, &f)).await?;
    let body = html! {
        h1 { "Runs" }
        table {
            thead { tr { th { "#" } th { "Run" } th { "Started" } th { "Status" } th.num { "Images" } th.num { "Failed" } th.num { "Findings" } th { "drydock" } } }
            tbody {
                @for r in &page.items {
                    tr {
                        td { (r.seq) } td { (r.run_id) } td { (r.started) } td { (r.status) }
                        td.num { (r.images_ok) }
                        td.num { @if r.images_failed > 0 { span.badge.failed { (r.images_failed) } } @else { "0" } }
                        td.num { (r.findings) } td { (r.drydock_version) }
                    }
                }
            }
        }
        (pager("/runs", &p, &page))
    };
    Ok(respond(StatusCode::OK, layout("Runs", &who, body)))
}

pub async fn release(
    State(st): State<Shared>,
    who: Who,
    Path(name): Path<String>,
    Query(p): Query,
) -> PageResult {
    who.read(&st)?;
    let f = p.filter()?;
    let (_, today) = view::now();
    let n = name.clone();
    let v = st
        .pool
        .with(move |s| view::release(s, &n, &f, today))
        .await?;
    let path = release_href(&name);
    let body = html! {
        h1 { "Release " (v.release) }
        (run_line(&v.run))
        p {
            a href=(format!("/readiness/{}", enc(&v.release))) { "Release readiness" } " · "
            a href=(link("/findings", &p, &[("release", Some(&v.release))])) { "All findings of the release" }
        }
        (counts_badges(&v.counts))
        @if v.images_failed > 0 {
            p.flash.error { (v.images_failed) " image(s) failed to scan in this run: their findings are unknown." }
        }
        (filter_form(&path, &p, &[]))
        div.scroll {
            table.images {
                thead { tr {
                    th { "Image" } th { "Status" } th { "OS" } th.num { "Packages" }
                    @for s in SEVERITIES { th.num { (s) } }
                    th.num { "Total" } th.num { "Open" }
                } }
                tbody {
                    @for i in &v.images.items {
                        tr {
                            td { a href=(image_href(&i.reference)) { (i.reference) } }
                            td {
                                @if i.status == "failed" {
                                    span.badge.failed { "failed" }
                                    @if let Some(e) = &i.error { br; span.muted { (e) } }
                                } @else { "ok" }
                            }
                            td { (i.os.as_deref().unwrap_or("")) }
                            td.num { (i.package_count) }
                            @for s in SEVERITIES { td.num { (i.by_severity.get(s).copied().unwrap_or(0)) } }
                            td.num { (i.total) }
                            td.num { (i.blocking) }
                        }
                    }
                }
            }
        }
        (pager(&path, &p, &v.images))
    };
    Ok(respond(
        StatusCode::OK,
        layout(&format!("Release {name}"), &who, body),
    ))
}

pub async fn readiness(
    State(st): State<Shared>,
    who: Who,
    Path(name): Path<String>,
    Query(p): Query,
) -> PageResult {
    who.read(&st)?;
    let f = p.filter()?;
    let (_, today) = view::now();
    let n = name.clone();
    let v = st
        .pool
        .with(move |s| view::readiness(s, &n, &f, today))
        .await?;
    let path = format!("/readiness/{}", enc(&name));
    let body = html! {
        h1 { "Release readiness: " (v.release) }
        (run_line(&v.run))
        @if v.ready {
            p.flash.ok { "Ready: every finding of the release is accepted, not affected or a false positive, and every image scanned." }
        } @else {
            p.flash.error { "Not ready: " (v.blocking.total) " finding(s) neither fixed nor triaged, " (v.failed_images.len()) " image(s) not scanned." }
        }
        @if !v.failed_images.is_empty() {
            h2 { "Images whose scan failed" }
            ul { @for r in &v.failed_images { li { a href=(image_href(r)) { (r) } } } }
        }
        h2 { "Open findings" }
        (filter_form(&path, &p, &[]))
        (findings_table(&path, &p, &v.blocking, true))
        (pager(&path, &p, &v.blocking))
    };
    Ok(respond(
        StatusCode::OK,
        layout(&format!("Readiness {name}"), &who, body),
    ))
}

pub async fn image(State(st): State<Shared>, who: Who, Query(p): Query) -> PageResult {
    who.read(&st)?;
    let f = p.filter()?;
    let Some(reference) = p.reference.clone().filter(|r| !r.trim().is_empty()) else {
        return Err(AppError::BadRequest("`ref` (the image reference) is required".into()).into());
    };
    let (_, today) = view::now();
    let r2 = reference.clone();
    let v = st
        .pool
        .with(move |s| view::image(s, &r2, &f, today))
        .await?;
    let body = html! {
        h1 { (v.reference) }
        p.muted {
            "Repository " (v.repository) " · newest scan in run #" (v.latest.run_seq) " (" (v.latest.started) ")"
            @if let Some(d) = &v.latest.digest { " · " code { (d) } }
            @if let Some(os) = &v.latest.os { " · " (os) }
            " · releases: " (v.latest.releases.join(", "))
        }
        @if v.latest.status == "failed" {
            p.flash.error {
                "The newest scan failed: " (v.latest.error.as_deref().unwrap_or("unknown error")) ". "
                @match v.findings_run {
                    Some(seq) => { "The findings below are from run #" (seq) ", the newest successful scan." },
                    None => { "No scan of this image ever succeeded." },
                }
            }
        }
        (counts_badges(&v.counts))
        (filter_form("/image", &p, &[("ref", &v.reference)]))
        (findings_table("/image", &p, &v.findings, false))
        (pager("/image", &p, &v.findings))
        h2 { "Scan history" }
        table {
            thead { tr { th { "Run" } th { "Started" } th { "Status" } th { "Digest" } th.num { "Packages" } th.num { "Findings" } } }
            tbody {
                @for h in &v.history {
                    tr {
                        td { "#" (h.run_seq) } td { (h.started) }
                        td { @if h.status == "failed" { span.badge.failed { "failed" } " " (h.error.as_deref().unwrap_or("")) } @else { "ok" } }
                        td.path { (h.digest.as_deref().unwrap_or("")) }
                        td.num { (h.package_count) } td.num { (h.finding_count) }
                    }
                }
            }
        }
    };
    Ok(respond(StatusCode::OK, layout(&reference, &who, body)))
}

async fn list_page(st: Shared, who: Who, p: Params, kind: ListKind) -> PageResult {
    who.read(&st)?;
    let f = p.filter()?;
    let release = p.release.clone().filter(|r| !r.is_empty());
    let (_, today) = view::now();
    let rel = release.clone();
    let v = st
        .pool
        .with(move |s| view::finding_list(s, kind, rel.as_deref(), &f, today))
        .await?;
    let (path, title, intro) = match kind {
        ListKind::All => (
            "/findings",
            "Findings",
            "Every finding of the newest complete run.",
        ),
        ListKind::NeedsTriage => (
            "/needs-triage",
            "Needs triage",
            "Findings without a triage record, still in triage, or whose record expired.",
        ),
        ListKind::New => (
            "/new",
            "New since last run",
            "Findings first seen in the newest complete run.",
        ),
    };
    let hidden: Vec<(&str, &str)> = release.iter().map(|r| ("release", r.as_str())).collect();
    let body = html! {
        h1 { (title) @if let Some(r) = &release { " · release " (r) } }
        p.muted { (intro) }
        @match &v.run {
            None => p { "No complete run in the store yet." },
            Some(r) => (run_line(r)),
        }
        (counts_badges(&v.counts))
        (filter_form(path, &p, &hidden))
        (findings_table(path, &p, &v.findings, true))
        (pager(path, &p, &v.findings))
    };
    Ok(respond(StatusCode::OK, layout(title, &who, body)))
}

pub async fn findings(State(st): State<Shared>, who: Who, Query(p): Query) -> PageResult {
    list_page(st, who, p, ListKind::All).await
}

pub async fn needs_triage(State(st): State<Shared>, who: Who, Query(p): Query) -> PageResult {
    list_page(st, who, p, ListKind::NeedsTriage).await
}

pub async fn new_findings(State(st): State<Shared>, who: Who, Query(p): Query) -> PageResult {
    list_page(st, who, p, ListKind::New).await
}

pub async fn expiring(State(st): State<Shared>, who: Who, Query(p): Query) -> PageResult {
    who.read(&st)?;
    let f = p.filter()?;
    let days = p.days()?;
    let (_, today) = view::now();
    let all = st
        .pool
        .with(move |s| view::expiring(s, today, days))
        .await?;
    let page = view::paginate(all, f.page, f.per_page);
    let body = html! {
        h1 { "Expiring soon" }
        form.filters method="get" action="/expiring" {
            label { "Within days" input type="number" name="days" min="0" max="3650" value=(days); }
            button type="submit" { "Show" }
        }
        @if page.items.is_empty() {
            p.muted { "No triage record expires within " (days) " days." }
        } @else {
            table {
                thead { tr { th { "#" } th { "Vulnerability" } th { "Package" } th { "Scope" } th { "State" } th { "Expires" } th { "Owner" } th { "Reason" } } }
                tbody {
                    @for e in &page.items {
                        @let k = &e.record.key;
                        tr {
                            td { (e.record.id) }
                            td { a href=(format!("{}#triage-{}", finding_href(&k.vuln_id), e.record.id)) { (k.vuln_id) } }
                            td { (k.package) " " span.muted { (k.ecosystem) } }
                            td { (scope_text(&e.record)) }
                            td { (state_badge(&e.record.fields.state)) }
                            td {
                                (e.record.fields.expires.as_deref().unwrap_or(""))
                                " "
                                @if e.expired { span.badge.st-expired { "expired" } }
                                @else { span.muted { "in " (e.days_left) " days" } }
                            }
                            td { (e.record.fields.owner.as_deref().unwrap_or("")) }
                            td { (e.record.fields.reason.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
        }
        (pager("/expiring", &p, &page))
    };
    Ok(respond(StatusCode::OK, layout("Expiring soon", &who, body)))
}

fn scope_text(r: &drydock_store::TriageRecord) -> String {
    match r.key.scope.as_str() {
        "image" => format!("image {}", r.key.repository),
        "release" => format!("release {}", r.key.release),
        _ => "all images".to_string(),
    }
}

/// The finding page's query: the list parameters and the "saved" notice.
#[derive(Debug, Default, Deserialize)]
pub struct Saved {
    #[serde(default)]
    saved: Option<String>,
}

pub async fn finding(
    State(st): State<Shared>,
    who: Who,
    Path(vuln): Path<String>,
    Query(p): Query,
    uri: axum::http::Uri,
) -> PageResult {
    let saved = axum::extract::Query::<Saved>::try_from_uri(&uri)
        .ok()
        .and_then(|q| q.0.saved);
    let notice = saved.map(|id| (true, format!("Triage record #{id} saved.")));
    finding_page(st, who, vuln, p, notice, None, StatusCode::OK).await
}

async fn finding_page(
    st: Shared,
    who: Who,
    vuln: String,
    p: Params,
    notice: Option<(bool, String)>,
    form: Option<TriageForm>,
    status: StatusCode,
) -> PageResult {
    who.read(&st)?;
    let f = p.filter()?;
    let (_, today) = view::now();
    let v = st
        .pool
        .with(move |s| view::finding(s, &vuln, &f, today))
        .await?;
    let path = finding_href(&v.vuln_id);
    let can_write = !st.read_only && st.auth.writes_possible();
    let body = html! {
        h1 { (v.vuln_id) }
        @if let Some((ok, msg)) = &notice {
            p class=(if *ok { "flash ok" } else { "flash error" }) { (msg) }
        }
        @if let Some(a) = &v.advisory {
            @if let Some(t) = &a.title { p { strong { (t) } } }
            dl.kv {
                @if !a.aliases.is_empty() { dt { "Aliases" } dd { (a.aliases.join(", ")) } }
                @if let Some(s) = &a.cvss_score { dt { "CVSS" } dd { (s) " " span.muted { (a.cvss_vector.as_deref().unwrap_or("")) } } }
                @if let Some(u) = &a.url {
                    dt { "Advisory" }
                    dd { @match safe_url(u) { Some(u) => a href=(u) rel="noopener noreferrer" { (u) }, None => span { (u) } } }
                }
            }
            @if let Some(d) = &a.description { div.desc { (d) } }
        }
        h2 { "Affected images" }
        @if let Some(r) = &v.run { (run_line(r)) }
        (filter_form(&path, &p, &[]))
        (findings_table(&path, &p, &v.images, true))
        (pager(&path, &p, &v.images))
        h2 { "Triage" }
        @if v.triage.is_empty() { p.muted { "No triage record for " (v.vuln_id) " yet." } }
        @for t in &v.triage {
            section.record.card id=(format!("triage-{}", t.record.id)) {
                h3 {
                    "#" (t.record.id) " · " (t.record.key.package)
                    @if !t.record.key.ecosystem.is_empty() { " (" (t.record.key.ecosystem) ")" }
                    " · " (scope_text(&t.record)) " · " (state_badge(&t.record.fields.state))
                    @if t.expired { " " span.badge.st-expired { "expired" } }
                }
                dl.kv {
                    @for (name, value) in t.record.fields.named() {
                        @if let Some(val) = value { dt { (name) } dd { (val) } }
                    }
                    dt { "created" } dd { (t.record.created_by) ", " (view::fmt_time(t.record.created_at)) }
                    dt { "updated" } dd { (t.record.updated_by) ", " (view::fmt_time(t.record.updated_at)) }
                }
                details {
                    summary { "Audit trail (" (t.events.len()) " events)" }
                    table.audit {
                        thead { tr { th { "When" } th { "Who" } th { "Field" } th { "Old" } th { "New" } } }
                        tbody {
                            @for e in &t.events {
                                tr {
                                    td { (view::fmt_time(e.at)) } td { (e.actor) } td { (e.field) }
                                    td { (e.old_value.as_deref().unwrap_or("—")) }
                                    td { (e.new_value.as_deref().unwrap_or("—")) }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if can_write {
            h2 { "Set triage" }
            @match who.principal.as_ref().and_then(|p| p.csrf.as_ref().map(|c| (p, c))) {
                None => p { a href="/login" { "Log in" } " with a triager token to triage." },
                Some((_, csrf)) => (triage_form(&v, csrf, form.as_ref())),
            }
        }
    };
    Ok(respond(status, layout(&v.vuln_id.clone(), &who, body)))
}

fn triage_form(v: &view::FindingView, csrf: &str, prev: Option<&TriageForm>) -> Markup {
    let val = |f: fn(&TriageForm) -> Option<&str>| prev.and_then(f).unwrap_or("").to_string();
    let scope = prev.map(|f| f.scope.as_str()).unwrap_or("image");
    let state = prev.map(|f| f.state.as_str()).unwrap_or("in_triage");
    let package = prev.map(|f| f.package.as_str());
    let justification = val(|f| f.justification.as_deref());
    let repository = val(|f| f.repository.as_deref());
    let release = val(|f| f.release.as_deref());
    let ecosystem = val(|f| f.ecosystem.as_deref());
    let ecosystems: std::collections::BTreeSet<&str> = v
        .packages
        .iter()
        .map(|(_, e)| e.as_str())
        .filter(|e| !e.is_empty())
        .collect();
    let packages: std::collections::BTreeSet<&str> =
        v.packages.iter().map(|(p, _)| p.as_str()).collect();
    html! {
        form.triage method="post" action="/triage" {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="vuln_id" value=(v.vuln_id);
            label { "Package"
                select name="package" required {
                    @for p in &packages { option value=(p) selected[package == Some(*p)] { (p) } }
                }
            }
            label { "Ecosystem"
                select name="ecosystem" {
                    option value="" { "any" }
                    @for e in &ecosystems { option value=(e) selected[ecosystem == *e] { (e) } }
                }
            }
            label { "Applies to"
                select name="scope" {
                    option value="image" selected[scope == "image"] { "one image repository" }
                    option value="release" selected[scope == "release"] { "one release" }
                    option value="all" selected[scope == "all"] { "all images" }
                }
            }
            label.f-repository { "Repository"
                select name="repository" {
                    @for r in &v.repositories { option value=(r) selected[repository == *r] { (r) } }
                }
            }
            label.f-release { "Release"
                select name="release" {
                    option value="" { "—" }
                    @for r in &v.releases { option value=(r) selected[release == *r] { (r) } }
                }
            }
            label { "State"
                select name="state" {
                    @for s in drydock_triage::State::ALL {
                        option value=(s.as_str()) selected[state == s.as_str()] { (s.as_str().replace('_', " ")) }
                    }
                }
            }
            label.f-justification { "Justification (not affected)"
                select name="justification" {
                    option value="" { "—" }
                    @for j in drydock_triage::Justification::ALL {
                        option value=(j.as_str()) selected[justification == j.as_str()] { (j.as_str().replace('_', " ")) }
                    }
                }
            }
            label { "Expires (last day)" input type="date" name="expires" value=(val(|f| f.expires.as_deref())); }
            label { "Owner" input type="text" name="owner" value=(val(|f| f.owner.as_deref())); }
            label { "Approver" input type="text" name="approver" value=(val(|f| f.approver.as_deref())); }
            label.wide { "Reason (required for accepted, not affected, false positive)" textarea name="reason" { (val(|f| f.reason.as_deref())) } }
            label.wide { "Notes" textarea name="notes" { (val(|f| f.notes.as_deref())) } }
            div.wide { button type="submit" { "Save triage" } }
        }
    }
}

pub async fn triage_post(
    State(st): State<Shared>,
    who: Who,
    headers: HeaderMap,
    form: Result<Form<TriageForm>, axum::extract::rejection::FormRejection>,
) -> PageResult {
    let principal = who.write(&st)?.clone();
    let Form(form) =
        form.map_err(|e| AppError::BadRequest(format!("bad form: {}", e.body_text())))?;
    auth::check_csrf(&headers, principal.csrf.as_deref(), &form.csrf)?;
    let vuln = drydock_triage::normalize_vuln_id(&form.vuln_id);
    let body = form.body();
    let actor = principal.name.clone();
    match st.pool.with(move |s| write::apply(s, body, &actor)).await {
        Ok(outcome) => Ok(Redirect::to(&format!(
            "{}?saved={}#triage-{}",
            finding_href(&vuln),
            outcome.record.id,
            outcome.record.id
        ))
        .into_response()),
        Err(AppError::Invalid(msg)) => {
            finding_page(
                st,
                who,
                vuln,
                Params::default(),
                Some((false, format!("Not saved: {msg}"))),
                Some(form),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    csrf: String,
}

fn set_cookie(r: &mut Response, value: String) {
    if let Ok(v) = HeaderValue::from_str(&value) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
}

pub async fn login_form(State(st): State<Shared>, who: Who) -> PageResult {
    if !st.auth.writes_possible() {
        let body = html! {
            h1 { "Log in" }
            p { "This server runs without a tokens file: there is nothing to log in to. Start it with "
                code { "--tokens tokens.yaml" } " to triage here." }
        };
        return Ok(respond(StatusCode::OK, layout("Log in", &who, body)));
    }
    let csrf = auth::random_hex(16)?;
    let body = html! {
        h1 { "Log in" }
        p.muted { "Paste your drydock token. The browser keeps a session cookie; the token itself is not stored." }
        form.filters method="post" action="/login" {
            input type="hidden" name="csrf" value=(csrf);
            label { "Token" input type="password" name="token" autocomplete="current-password" required size="40"; }
            button type="submit" { "Log in" }
        }
    };
    let mut r = respond(StatusCode::OK, layout("Log in", &who, body));
    set_cookie(
        &mut r,
        format!("{LOGIN_COOKIE}={csrf}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=600"),
    );
    Ok(r)
}

pub async fn login(State(st): State<Shared>, headers: HeaderMap, body: Bytes) -> PageResult {
    let form: LoginForm = serde_urlencoded_form(&body)?;
    let expected = auth::cookie(&headers, LOGIN_COOKIE);
    auth::check_csrf(&headers, expected.as_deref(), &form.csrf)?;
    let (_, today) = view::now();
    let id = st.auth.login(&form.token, today)?;
    let mut r = Redirect::to("/").into_response();
    set_cookie(
        &mut r,
        format!("{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200"),
    );
    set_cookie(
        &mut r,
        format!("{LOGIN_COOKIE}=; Path=/login; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    Ok(r)
}

#[derive(Debug, Default, Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(
    State(st): State<Shared>,
    who: Who,
    headers: HeaderMap,
    body: Bytes,
) -> PageResult {
    let form: CsrfOnly = serde_urlencoded_form(&body)?;
    let expected = who.principal.as_ref().and_then(|p| p.csrf.clone());
    auth::check_csrf(&headers, expected.as_deref(), &form.csrf)?;
    st.auth.logout(&headers);
    let mut r = Redirect::to("/").into_response();
    set_cookie(
        &mut r,
        format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    Ok(r)
}

/// A url-encoded form body (through axum's own form decoding).
fn serde_urlencoded_form<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, AppError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| AppError::BadRequest("the form is not UTF-8".into()))?;
    let uri: axum::http::Uri = format!("/?{text}")
        .parse()
        .map_err(|_| AppError::BadRequest("malformed form".into()))?;
    axum::extract::Query::<T>::try_from_uri(&uri)
        .map(|q| q.0)
        .map_err(|e| AppError::BadRequest(format!("malformed form: {}", e.body_text())))
}
