//! The router, the security headers, the request log, and who is asking.

use std::convert::Infallible;
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::auth::Principal;
use crate::error::{ApiError, AppError, PageError};
use crate::view::Params;
use crate::{Shared, api, assets, pages};

/// The policy every response carries: scripts and styles only from this server (no inline
/// script), no framing, forms post only here.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub(crate) fn router(state: Shared) -> Router {
    Router::new()
        .route("/", get(pages::overview))
        .route("/runs", get(pages::runs))
        .route("/releases/{release}", get(pages::release))
        .route("/readiness/{release}", get(pages::readiness))
        .route("/image", get(pages::image))
        .route("/findings", get(pages::findings))
        .route("/findings/{vuln}", get(pages::finding))
        .route("/needs-triage", get(pages::needs_triage))
        .route("/new", get(pages::new_findings))
        .route("/expiring", get(pages::expiring))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/triage", post(pages::triage_post))
        .route("/static/app.css", get(assets::css))
        .route("/static/app.js", get(assets::js))
        .route("/healthz", get(healthz))
        .route("/api/overview", get(api::overview))
        .route("/api/runs", get(api::runs))
        .route("/api/releases/{release}", get(api::release))
        .route("/api/readiness/{release}", get(api::readiness))
        .route("/api/image", get(api::image))
        .route("/api/findings", get(api::findings))
        .route("/api/findings/{vuln}", get(api::finding))
        .route("/api/needs-triage", get(api::needs_triage))
        .route("/api/new", get(api::new_findings))
        .route("/api/expiring", get(api::expiring))
        .route("/api/triage", post(api::triage_post))
        .route("/api/triage/{id}", get(api::triage_get))
        .route("/api/openapi.json", get(api::openapi))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(64 * 1024))
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn(log_request))
        .with_state(state)
}

async fn healthz(State(st): State<Shared>) -> Response {
    match st.pool.with(|s| Ok(s.schema_version()?)).await {
        Ok(v) => {
            axum::Json(serde_json::json!({ "status": "ok", "schema_version": v })).into_response()
        }
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({ "status": "unavailable", "error": e.public_message() })),
        )
            .into_response(),
    }
}

async fn not_found(uri: Uri) -> Response {
    let e = AppError::NotFound(format!("no page `{}`", uri.path()));
    if uri.path().starts_with("/api/") {
        ApiError(e).into_response()
    } else {
        PageError(e).into_response()
    }
}

async fn security_headers(req: Request, next: Next) -> Response {
    let is_static = req.uri().path().starts_with("/static/");
    let mut r = next.run(req).await;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if !is_static {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    r
}

/// One structured line per request: method, path, status, milliseconds.
async fn log_request(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let r = next.run(req).await;
    // A number (to a tenth of a millisecond), not a string: log processors sum and compare it.
    let ms = (started.elapsed().as_secs_f64() * 10_000.0).round() / 10.0;
    tracing::info!(
        target: "drydock_serve::access",
        method = %method,
        path = %path,
        status = r.status().as_u16(),
        ms,
        "request"
    );
    r
}

/// Who sent a request; an invalid or expired bearer token is kept as the error to answer.
#[derive(Debug)]
pub(crate) struct Who {
    pub principal: Option<Principal>,
    error: Option<String>,
}

impl Who {
    fn err(&self) -> Option<AppError> {
        self.error.clone().map(AppError::Unauthorized)
    }

    /// May read.
    pub fn read(&self, st: &Shared) -> Result<(), AppError> {
        if let Some(e) = self.err() {
            return Err(e);
        }
        st.auth.require_read(&self.principal)
    }

    /// May write triage.
    pub fn write(&self, st: &Shared) -> Result<&Principal, AppError> {
        if let Some(e) = self.err() {
            return Err(e);
        }
        if st.read_only {
            return Err(AppError::Forbidden(
                "this server is read-only (--read-only)".into(),
            ));
        }
        st.auth.require_write(&self.principal)
    }
}

impl FromRequestParts<Shared> for Who {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, st: &Shared) -> Result<Who, Infallible> {
        let (_, today) = crate::view::now();
        Ok(match st.auth.identify(&parts.headers, today) {
            Ok(principal) => Who {
                principal,
                error: None,
            },
            Err(e) => Who {
                principal: None,
                error: Some(e.to_string()),
            },
        })
    }
}

/// The list parameters of a request (a malformed query string is a 400, not a 500).
#[derive(Debug)]
pub(crate) struct Query(pub Params);

impl FromRequestParts<Shared> for Query {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &Shared) -> Result<Query, Response> {
        match axum::extract::Query::<Params>::try_from_uri(&parts.uri) {
            Ok(q) => Ok(Query(q.0)),
            Err(e) => {
                let e = AppError::BadRequest(format!("bad query string: {}", e.body_text()));
                Err(if parts.uri.path().starts_with("/api/") {
                    ApiError(e).into_response()
                } else {
                    PageError(e).into_response()
                })
            }
        }
    }
}
