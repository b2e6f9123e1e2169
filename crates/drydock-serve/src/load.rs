//! Loading a view's data, once for both renderings: the API serializes what these return, the
//! pages render it. Each checks that the caller may read, parses the list filter, and runs one
//! query on a pooled store handle — so a page and its `/api/…` twin always show the same rows.

use drydock_policy::Date;
use drydock_store::Store;

use crate::Shared;
use crate::error::AppError;
use crate::filter::{Filter, Page};
use crate::http::Who;
use crate::index::Cache;
use crate::view::{
    self, ExpiringOut, FindingList, FindingView, ImageView, ListKind, Overview, Params,
    ReadinessView, ReleaseView, RunOut,
};

/// Checks the read permission and the filter, then runs `query` on a store handle with the
/// filter and today's date.
async fn query<T, F>(st: &Shared, who: &Who, p: &Params, query: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut Store, &Cache, &Filter, Date) -> Result<T, AppError> + Send + 'static,
{
    who.read(st)?;
    let f = p.filter()?;
    let (_, today) = view::now();
    let shared = st.clone();
    st.pool
        .with(move |s| query(s, &shared.cache, &f, today))
        .await
}

pub async fn overview(st: &Shared, who: &Who) -> Result<Overview, AppError> {
    query(st, who, &Params::default(), |s, c, _, today| {
        view::overview(s, c, today)
    })
    .await
}

pub async fn runs(st: &Shared, who: &Who, p: &Params) -> Result<Page<RunOut>, AppError> {
    query(st, who, p, |s, c, f, _| view::runs(s, c, f)).await
}

pub async fn release(
    st: &Shared,
    who: &Who,
    name: String,
    p: &Params,
) -> Result<ReleaseView, AppError> {
    query(st, who, p, move |s, c, f, today| {
        view::release(s, c, &name, f, today)
    })
    .await
}

pub async fn readiness(
    st: &Shared,
    who: &Who,
    name: String,
    p: &Params,
) -> Result<ReadinessView, AppError> {
    query(st, who, p, move |s, c, f, today| {
        view::readiness(s, c, &name, f, today)
    })
    .await
}

/// The image named by the `ref` parameter (required).
pub async fn image(st: &Shared, who: &Who, p: &Params) -> Result<ImageView, AppError> {
    let reference = p.reference.clone().filter(|r| !r.trim().is_empty());
    query(st, who, p, move |s, _, f, today| {
        let reference = reference.ok_or_else(|| {
            AppError::BadRequest("`ref` (the image reference) is required".into())
        })?;
        view::image(s, &reference, f, today)
    })
    .await
}

/// A finding list of the newest complete run, of the release named by the `release`
/// parameter if any.
pub async fn list(
    st: &Shared,
    who: &Who,
    p: &Params,
    kind: ListKind,
) -> Result<FindingList, AppError> {
    let release = p.release.clone().filter(|r| !r.is_empty());
    query(st, who, p, move |s, c, f, today| {
        view::finding_list(s, c, kind, release.as_deref(), f, today)
    })
    .await
}

pub async fn finding(
    st: &Shared,
    who: &Who,
    vuln: String,
    p: &Params,
) -> Result<FindingView, AppError> {
    query(st, who, p, move |s, c, f, today| {
        view::finding(s, c, &vuln, f, today)
    })
    .await
}

/// Triage records expiring within the `days` parameter, paginated; also the `days` used.
pub async fn expiring(
    st: &Shared,
    who: &Who,
    p: &Params,
) -> Result<(Page<ExpiringOut>, i64), AppError> {
    let days = p.days();
    query(st, who, p, move |s, _, f, today| {
        let days = days?;
        let all = view::expiring(s, today, days)?;
        Ok((view::paginate(all, f.page, f.per_page), days))
    })
    .await
}
