//! The finding lists (all, needs triage, new since the last run) and the expiring triage.

use super::*;

async fn list_page(st: Shared, who: Who, p: Params, kind: ListKind) -> PageResult {
    let v = load::list(&st, &who, &p, kind).await?;
    let release = p.release.clone().filter(|r| !r.is_empty());
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
    let (page, days) = load::expiring(&st, &who, &p).await?;
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
