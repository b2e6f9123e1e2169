//! The JSON API: the pages' data, and `POST /api/triage`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::Shared;
use crate::error::{ApiError, AppError};
use crate::http::{Query, Who};
use crate::load;
use crate::view::ListKind;
use crate::write::{self, TriageBody};

type ApiResult = Result<Response, ApiError>;

fn json<T: Serialize>(v: T) -> Response {
    Json(v).into_response()
}

pub async fn overview(State(st): State<Shared>, who: Who) -> ApiResult {
    Ok(json(load::overview(&st, &who).await?))
}

pub async fn runs(State(st): State<Shared>, who: Who, Query(p): Query) -> ApiResult {
    Ok(json(load::runs(&st, &who, &p).await?))
}

pub async fn release(
    State(st): State<Shared>,
    who: Who,
    Path(name): Path<String>,
    Query(p): Query,
) -> ApiResult {
    Ok(json(load::release(&st, &who, name, &p).await?))
}

pub async fn readiness(
    State(st): State<Shared>,
    who: Who,
    Path(name): Path<String>,
    Query(p): Query,
) -> ApiResult {
    Ok(json(load::readiness(&st, &who, name, &p).await?))
}

pub async fn image(State(st): State<Shared>, who: Who, Query(p): Query) -> ApiResult {
    Ok(json(load::image(&st, &who, &p).await?))
}

pub async fn findings(State(st): State<Shared>, who: Who, Query(p): Query) -> ApiResult {
    Ok(json(load::list(&st, &who, &p, ListKind::All).await?))
}

pub async fn needs_triage(State(st): State<Shared>, who: Who, Query(p): Query) -> ApiResult {
    Ok(json(
        load::list(&st, &who, &p, ListKind::NeedsTriage).await?,
    ))
}

pub async fn new_findings(State(st): State<Shared>, who: Who, Query(p): Query) -> ApiResult {
    Ok(json(load::list(&st, &who, &p, ListKind::New).await?))
}

pub async fn finding(
    State(st): State<Shared>,
    who: Who,
    Path(vuln): Path<String>,
    Query(p): Query,
) -> ApiResult {
    Ok(json(load::finding(&st, &who, vuln, &p).await?))
}

pub async fn expiring(State(st): State<Shared>, who: Who, Query(p): Query) -> ApiResult {
    Ok(json(load::expiring(&st, &who, &p).await?.0))
}

#[derive(Debug, Serialize)]
struct TriageOut {
    record: drydock_store::TriageRecord,
    events: Vec<drydock_store::TriageEvent>,
}

pub async fn triage_get(State(st): State<Shared>, who: Who, Path(id): Path<String>) -> ApiResult {
    who.read(&st)?;
    let id: i64 = id
        .parse()
        .map_err(|_| AppError::BadRequest(format!("`{id}` is not a triage record id")))?;
    let out = st
        .pool
        .with(move |s| {
            let record = s
                .triage(id)?
                .ok_or_else(|| AppError::NotFound(format!("no triage record #{id}")))?;
            let events = s.triage_history(id)?;
            Ok(TriageOut { record, events })
        })
        .await?;
    Ok(json(out))
}

#[derive(Debug, Serialize)]
struct WriteOut {
    created: bool,
    changed: bool,
    record: drydock_store::TriageRecord,
    events: Vec<drydock_store::TriageEvent>,
}

pub async fn triage_post(
    State(st): State<Shared>,
    who: Who,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let actor = who.write(&st)?.name.clone();
    let json_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/json"));
    if !json_type {
        return Ok((
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Json(serde_json::json!({ "error": "expected Content-Type: application/json" })),
        )
            .into_response());
    }
    let body: TriageBody = serde_json::from_slice(&body)
        .map_err(|e| AppError::BadRequest(format!("malformed JSON body: {e}")))?;
    let outcome = st.pool.with(move |s| write::apply(s, body, &actor)).await?;
    let status = if outcome.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(WriteOut {
            created: outcome.created,
            changed: !outcome.events.is_empty(),
            record: outcome.record,
            events: outcome.events,
        }),
    )
        .into_response())
}

pub async fn openapi() -> Response {
    json(crate::openapi::document())
}
