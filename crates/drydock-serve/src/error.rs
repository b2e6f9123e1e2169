//! Errors: [`ServeError`] stops the server from starting; [`AppError`] answers one request,
//! as JSON under `/api/` and as a page elsewhere.

use std::net::SocketAddr;
use std::path::PathBuf;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use drydock_store::StoreError;

/// Why the server did not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    #[error(
        "refusing to listen on `{0}` without --tokens: a non-loopback address needs authentication (see docs/serve.md)"
    )]
    Insecure(SocketAddr),
    #[error("cannot read the tokens file `{path}`: {message}")]
    Tokens { path: PathBuf, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot listen on `{0}`: {1}")]
    Bind(SocketAddr, std::io::Error),
    #[error("server error: {0}")]
    Runtime(std::io::Error),
    #[error("no random numbers from the OS: {0}")]
    Random(String),
}

/// Why one request failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AppError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    /// A triage write that breaks a rule (`accepted` without an expiry, …).
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Store(StoreError::NoRun(_)) => StatusCode::NOT_FOUND,
            AppError::Store(StoreError::Invalid(_)) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Store(StoreError::ReadOnly(_)) => StatusCode::FORBIDDEN,
            AppError::Store(StoreError::Locked(_) | StoreError::Gone(_)) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            AppError::Store(_) | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What the client is told: internal details stay in the server log.
    pub fn public_message(&self) -> String {
        if self.status() == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!("{self}");
            "internal error (the server log has the details)".into()
        } else {
            self.to_string()
        }
    }
}

/// An error answered as JSON: `{"error": "…"}`.
#[derive(Debug)]
pub(crate) struct ApiError(pub AppError);

macro_rules! wrap {
    ($outer:ident) => {
        impl From<AppError> for $outer {
            fn from(e: AppError) -> $outer {
                $outer(e)
            }
        }
        impl From<StoreError> for $outer {
            fn from(e: StoreError) -> $outer {
                $outer(e.into())
            }
        }
        impl From<drydock_triage::TriageError> for $outer {
            fn from(e: drydock_triage::TriageError) -> $outer {
                $outer(e.into())
            }
        }
    };
}
wrap!(ApiError);
wrap!(PageError);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        let body = serde_json::json!({ "error": self.0.public_message() });
        let mut r = (status, axum::Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"drydock\""),
            );
        }
        r
    }
}

impl From<drydock_triage::TriageError> for AppError {
    fn from(e: drydock_triage::TriageError) -> AppError {
        match e {
            drydock_triage::TriageError::Store(s) => AppError::Store(s),
            other => AppError::Invalid(other.to_string()),
        }
    }
}

/// An error answered as an HTML page.
#[derive(Debug)]
pub(crate) struct PageError(pub AppError);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        let page = crate::pages::error_page(status, &self.0.public_message());
        (status, page).into_response()
    }
}
