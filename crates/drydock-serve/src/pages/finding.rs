//! A finding: the images it affects, its triage records and audit trail, the triage form.

use super::*;
use crate::auth::Role;

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
    let v = load::finding(&st, &who, vuln, &p).await?;
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
                Some((me, _)) if me.role < Role::Triager => p.muted {
                    "You are logged in as " (me.name) " (" (me.role.as_str()) "): triage needs a triager or admin token."
                },
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
