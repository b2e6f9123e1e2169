//! The HTML pages. Every value is spliced through maud, which escapes it; advisory text (HTML
//! and Markdown from feeds) is shown as text, and only `http(s)` links become links.

use axum::body::Bytes;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{DOCTYPE, Markup, html};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;

use crate::auth::{self, LOGIN_COOKIE, SESSION_COOKIE};
use crate::error::{AppError, PageError};
use crate::http::{Query, Who};
use crate::view::{
    self, Counts, FindingRow, ListKind, Page, Params, RunOut, SEVERITIES, SORTS, STATES,
};
use crate::write::{self, TriageForm};
use crate::{Shared, load};

mod browse;
mod finding;
mod lists;
mod login;

pub use browse::{image, overview, readiness, release, runs};
pub use finding::{finding, triage_post};
pub use lists::{expiring, findings, needs_triage, new_findings};
pub use login::{login, login_form, logout};

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
            (r.images_ok + r.images_failed) " images scanned"
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

/// Where a triage record applies, in words.
fn scope_text(r: &drydock_store::TriageRecord) -> String {
    match r.key.scope.as_str() {
        "image" => format!("image {}", r.key.repository),
        "release" => format!("release {}", r.key.release),
        _ => "all images".to_string(),
    }
}
