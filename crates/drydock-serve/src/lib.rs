//! `drydock serve`: a dashboard and a REST API over the history store, for a team that
//! triages findings together.
//!
//! Server-rendered HTML pages ([`maud`], every value escaped; one small script and one
//! stylesheet embedded in the binary) and a JSON API with the same data, both read through
//! [`drydock_store::Store`]. Triage writes go through [`drydock_triage::Triage::validate`] and
//! [`drydock_triage::set`], the code path of `drydock triage set`, so the same rules hold and
//! every change lands in the audit trail under the token's name.
//!
//! - [`Config`]: where the store is, where to listen, the tokens file, `--read-only`;
//! - [`run`] builds a tokio runtime, serves until SIGTERM or Ctrl-C, and drains requests;
//! - [`spawn`] serves on a background thread (tests, benchmarks) and returns the bound address.
//!
//! This is the only async crate of drydock: the store is blocking and `!Sync`, so each request
//! borrows a store handle from a small pool inside `spawn_blocking`.
//!
//! ```no_run
//! let config = drydock_serve::Config {
//!     store: "history.db".into(),
//!     listen: "127.0.0.1:8080".parse()?,
//!     tokens: None,
//!     read_only: false,
//! };
//! drydock_serve::run(config)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![recursion_limit = "512"]

mod api;
mod assets;
mod auth;
mod chart;
mod error;
mod filter;
mod http;
mod index;
mod load;
mod openapi;
mod pages;
mod pool;
mod view;
mod write;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

pub use auth::{Role, TokenEntry, Tokens, hash_token};
pub use error::ServeError;

/// The store `drydock serve` opens without `--store` (`$DRYDOCK_STORE`, else the user's data dir).
pub use drydock_store::default_location as default_store;

/// What `drydock serve` was asked to do.
#[derive(Debug, Clone)]
pub struct Config {
    /// The history store: a SQLite path or `postgres://…`.
    pub store: String,
    pub listen: SocketAddr,
    /// The tokens file (YAML: name, sha256 of the token, role, optional expiry).
    pub tokens: Option<PathBuf>,
    /// Serve reads only: no triage forms, writes answer 403.
    pub read_only: bool,
}

/// Shared by every request.
#[derive(Debug)]
pub(crate) struct AppState {
    pub pool: pool::Pool,
    /// Indexed runs and trend counts (a finished run never changes).
    pub cache: index::Cache,
    pub auth: auth::Auth,
    pub read_only: bool,
}

pub(crate) type Shared = Arc<AppState>;

/// Checks the configuration, opens the store once (so a bad `--store` fails at start, not at
/// the first request) and builds the router.
fn prepare(config: &Config) -> Result<axum::Router, ServeError> {
    let tokens = match &config.tokens {
        Some(p) => Some(Tokens::load(p)?),
        None => None,
    };
    let loopback = config.listen.ip().is_loopback();
    if !loopback && tokens.is_none() {
        return Err(ServeError::Insecure(config.listen));
    }
    let pool = pool::Pool::open(&config.store)?;
    if tokens.is_none() && !config.read_only {
        tracing::warn!("no --tokens: triage writes are disabled (reads stay open on loopback)");
    }
    let state = Arc::new(AppState {
        pool,
        cache: index::Cache::default(),
        auth: auth::Auth::new(tokens, loopback)?,
        read_only: config.read_only,
    });
    warm(state.clone(), config.store.clone());
    Ok(http::router(state))
}

/// Indexes the newest run and counts the overview's trend on a thread of its own, so the
/// first visitor after a start does not wait for it (a failure only means the first request
/// builds it).
fn warm(state: Shared, location: String) {
    let spawned = std::thread::Builder::new()
        .name("drydock-serve-warm".into())
        .spawn(move || {
            let (_, today) = view::now();
            let t = std::time::Instant::now();
            let done = drydock_store::Store::open(&location)
                .map_err(error::AppError::from)
                .and_then(|mut s| view::overview(&mut s, &state.cache, today));
            match done {
                Ok(_) => tracing::info!("newest run indexed in {:?}", t.elapsed()),
                Err(e) => tracing::warn!("indexing the newest run failed: {e}"),
            }
        });
    if let Err(e) = spawned {
        tracing::warn!("no thread to index the newest run: {e}");
    }
}

/// Serves until SIGTERM or Ctrl-C, then stops accepting and finishes the requests in flight.
pub fn run(config: Config) -> Result<(), ServeError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("drydock-serve")
        .build()
        .map_err(ServeError::Runtime)?;
    let app = prepare(&config)?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| ServeError::Bind(config.listen, e))?;
        let addr = listener.local_addr().map_err(ServeError::Runtime)?;
        tracing::info!(
            "serving `{}` on http://{addr}/{}",
            drydock_store::redact_url(&config.store),
            if config.read_only { " (read-only)" } else { "" }
        );
        eprintln!("drydock serve: listening on http://{addr}/");
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown_signal())
            .await
            .map_err(ServeError::Runtime)?;
        tracing::info!("stopped");
        Ok(())
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C: shutting down"),
        () = term => tracing::info!("SIGTERM: shutting down"),
    }
}

/// A server running on a background thread (see [`spawn`]).
#[derive(Debug)]
pub struct Running {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<Result<(), ServeError>>>,
}

impl Running {
    /// `http://ADDR`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops the server gracefully and waits for it.
    pub fn stop(mut self) -> Result<(), ServeError> {
        self.stop_inner()
    }

    fn stop_inner(&mut self) -> Result<(), ServeError> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        match self.thread.take() {
            Some(t) => t
                .join()
                .unwrap_or_else(|_| Err(ServeError::Runtime(std::io::Error::other("panicked")))),
            None => Ok(()),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.stop_inner();
    }
}

/// Serves `config` on a background thread (port 0 picks a free port); returns once it listens.
pub fn spawn(config: Config) -> Result<Running, ServeError> {
    let app = prepare(&config)?;
    let std_listener = std::net::TcpListener::bind(config.listen)
        .map_err(|e| ServeError::Bind(config.listen, e))?;
    std_listener
        .set_nonblocking(true)
        .map_err(ServeError::Runtime)?;
    let addr = std_listener.local_addr().map_err(ServeError::Runtime)?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("drydock-serve".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .map_err(ServeError::Runtime)?;
            runtime.block_on(async move {
                let listener =
                    tokio::net::TcpListener::from_std(std_listener).map_err(ServeError::Runtime)?;
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = rx.await;
                    })
                    .await
                    .map_err(ServeError::Runtime)
            })
        })
        .map_err(ServeError::Runtime)?;
    Ok(Running {
        addr,
        stop: Some(tx),
        thread: Some(thread),
    })
}
