//! A few store handles shared by the requests. A [`Store`] is blocking and not `Sync`: a
//! request takes one (or opens one) inside `spawn_blocking` and gives it back when done.

use std::sync::{Arc, Mutex};

use drydock_store::{Store, StoreError};

use crate::error::AppError;

/// How many idle handles are kept (more are opened under load and closed after).
const MAX_IDLE: usize = 4;

#[derive(Debug, Clone)]
pub(crate) struct Pool {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    location: String,
    idle: Mutex<Vec<Store>>,
}

impl Drop for Inner {
    /// PostgreSQL's blocking client runs a runtime of its own, which must not be dropped on a
    /// tokio worker thread: the idle handles are closed on a plain thread.
    fn drop(&mut self) {
        let stores: Vec<Store> = self.idle.get_mut().map(std::mem::take).unwrap_or_default();
        if !stores.is_empty() {
            let _ = std::thread::spawn(move || drop(stores)).join();
        }
    }
}

impl Pool {
    /// Opens (and migrates) the store once, so a wrong location fails at start.
    pub fn open(location: &str) -> Result<Pool, StoreError> {
        let store = Store::open(location)?;
        Ok(Pool {
            inner: Arc::new(Inner {
                location: location.to_string(),
                idle: Mutex::new(vec![store]),
            }),
        })
    }

    /// Runs `f` with a store handle on the blocking thread pool.
    pub async fn with<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, AppError> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let pooled = inner.idle.lock().ok().and_then(|mut v| v.pop());
            let mut store = match pooled {
                Some(s) => s,
                None => Store::open(&inner.location)?,
            };
            let result = f(&mut store);
            // A handle whose connection broke is dropped; the next request opens a fresh one.
            let broken = matches!(result, Err(AppError::Store(StoreError::Gone(_))));
            if !broken
                && let Ok(mut idle) = inner.idle.lock()
                && idle.len() < MAX_IDLE
            {
                idle.push(store);
            }
            result
        })
        .await
        .map_err(|e| AppError::Internal(format!("a store task failed: {e}")))?
    }
}
