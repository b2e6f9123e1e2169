//! The overview, the runs, a release and its readiness, an image.

use super::*;

pub async fn overview(State(st): State<Shared>, who: Who) -> PageResult {
    let o = load::overview(&st, &who).await?;
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
    let page = load::runs(&st, &who, &p).await?;
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
    let v = load::release(&st, &who, name.clone(), &p).await?;
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
    let v = load::readiness(&st, &who, name.clone(), &p).await?;
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
    let v = load::image(&st, &who, &p).await?;
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
    Ok(respond(StatusCode::OK, layout(&v.reference, &who, body)))
}
