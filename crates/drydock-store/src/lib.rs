//! drydock's history store: every scan of every image, kept so that "what is new since last
//! week?" is a query, not a spreadsheet.
//!
//! One schema in SQLite (the default, a file) or PostgreSQL (`postgres://…`, for a team and for
//! sharded runs), applied by versioned migrations ([`Store::open`] migrates; a store from a
//! newer drydock is refused). What it holds:
//!
//! - **runs** ([`Run`]): one fleet scan (possibly split into shards that each report; the run
//!   is complete when all did), with the drydock version, the vulnerability DB's build time and
//!   sources, and the fleet file's digest;
//! - **image scans** ([`ImageScan`]): per image of a run, its reference, repository, digest,
//!   platform, OS, package count, status (`ok` or `failed` with the error) and the releases that
//!   list it. A failed scan says nothing about findings: it is "not scanned", never "fixed";
//! - **findings** by identity ([`drydock_match::identity`]: repository, ecosystem, package,
//!   vulnerability id) and their **observations as intervals of runs**: a finding seen in the
//!   same image from run A to run B with the same attributes is one row, so ingesting a run costs
//!   what changed, not everything found ([`Observation`]);
//! - advisory text per vulnerability, **triage** records and their audit events.
//!
//! ```no_run
//! let mut store = drydock_store::Store::open("history.db")?;
//! for run in store.runs(20)? {
//!     println!("{} {} {} ok, {} failed", run.run_id, run.status, run.images_ok, run.images_failed);
//! }
//! # Ok::<(), drydock_store::StoreError>(())
//! ```
//!
//! The SQL layer ([`conn`]) is ours: the two databases share one dialect subset, which keeps
//! every query written once and tested on both.

mod conn;
mod forge_queries;
pub use forge_queries::PreviousScan;
mod model;
mod query;
pub use query::ObservationsNotIn;
mod record;
pub use record::Recorded;
mod schema;
mod serve_queries;
pub use serve_queries::{LiveFinding, LiveQuery, TrendPoint};
mod triage;
pub use triage::{
    TriageBatchError, TriageEvent, TriageFields, TriageFilter, TriageKey, TriageOutcome,
    TriageRecord, TriageWrite,
};

use std::collections::HashSet;

pub use conn::{Backend, Value};
pub use model::{
    ImageScan, Observation, Run, RunStart, RunStatus, ScanStatus, Scanned, Shard, VulnInfo,
    observations_from_report, pkg_type,
};
pub use schema::LATEST as SCHEMA_VERSION;

use conn::Conn;

/// Why the store could not do something. Messages name the store (passwords redacted).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("cannot open the store `{store}`: {message}")]
    Open { store: String, message: String },
    #[error(
        "the store `{store}` has schema version {found}, newer than this drydock supports ({supported}): upgrade drydock"
    )]
    TooNew {
        store: String,
        found: i64,
        supported: i64,
    },
    #[error("the store is locked by another writer (tried for 60 s): {0}")]
    Locked(String),
    #[error("the store is read-only: {0}")]
    ReadOnly(String),
    #[error("the store is not a drydock store or is damaged: {0}")]
    Corrupt(String),
    #[error("lost the connection to the store: {0}")]
    Gone(String),
    #[error("store query failed: {0}")]
    Sql(String),
    #[error("no run `{0}` in the store (see `drydock history runs`)")]
    NoRun(String),
    #[error("{0}")]
    Invalid(String),
    #[error("internal store error: {0}")]
    Internal(String),
}

/// A history store.
#[derive(Debug)]
pub struct Store {
    conn: Conn,
    name: String,
    /// Advisory text already written by this handle (one upsert per vulnerability per run).
    vulns_written: HashSet<String>,
}

impl Store {
    /// Opens (creating and migrating as needed) the store at `location`: a file path or
    /// `sqlite://PATH` for SQLite, `postgres://…` or `postgresql://…` for PostgreSQL.
    pub fn open(location: &str) -> Result<Store, StoreError> {
        let mut store = Store::open_unmigrated(location)?;
        match schema::migrate(&mut store.conn, &store.name) {
            Ok(_) => Ok(store),
            // A read-only store of the current version is still readable.
            Err(StoreError::ReadOnly(m)) => match schema::version(&mut store.conn)? {
                v if v == schema::LATEST => Ok(store),
                _ => Err(StoreError::ReadOnly(m)),
            },
            Err(e) => Err(e),
        }
    }

    /// Opens the store without migrating it (`drydock store migrate` reports what it applies).
    pub fn open_unmigrated(location: &str) -> Result<Store, StoreError> {
        let (conn, name) =
            if location.starts_with("postgres://") || location.starts_with("postgresql://") {
                (Conn::open_postgres(location)?, redact_url(location))
            } else {
                let path = location.strip_prefix("sqlite://").unwrap_or(location);
                (
                    Conn::open_sqlite(std::path::Path::new(path))?,
                    path.to_string(),
                )
            };
        Ok(Store {
            conn,
            name,
            vulns_written: HashSet::new(),
        })
    }

    /// Applies the missing migrations; returns the versions applied (empty: up to date).
    pub fn migrate(&mut self) -> Result<Vec<i64>, StoreError> {
        schema::migrate(&mut self.conn, &self.name)
    }

    /// The schema version of the store.
    pub fn schema_version(&mut self) -> Result<i64, StoreError> {
        schema::version(&mut self.conn)
    }

    /// Where the store is, for messages (passwords redacted).
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn backend(&self) -> Backend {
        self.conn.backend()
    }

    /// Runs `f` in one transaction: all of it lands or none of it.
    pub(crate) fn tx<T>(
        &mut self,
        f: impl FnOnce(&mut Conn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.tx_as(Durability::Flushed, f)
    }

    /// [`Store::tx`], committed as durably as `durability` asks.
    pub(crate) fn tx_as<T>(
        &mut self,
        durability: Durability,
        f: impl FnOnce(&mut Conn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        match (self.conn.backend(), durability) {
            // IMMEDIATE takes the write lock up front, so two writers queue on the busy
            // timeout instead of failing on a lock upgrade.
            (Backend::Sqlite, _) => self.conn.batch("BEGIN IMMEDIATE")?,
            (Backend::Postgres, Durability::Flushed) => self.conn.batch("BEGIN")?,
            (Backend::Postgres, Durability::Deferred) => self
                .conn
                .batch("BEGIN; SET LOCAL synchronous_commit TO OFF")?,
        }
        match f(&mut self.conn) {
            Ok(v) => {
                self.conn.batch("COMMIT")?;
                Ok(v)
            }
            Err(e) => {
                let _ = self.conn.batch("ROLLBACK");
                Err(e)
            }
        }
    }
}

/// How durable a commit must be when it returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Durability {
    /// On disk (PostgreSQL's default; SQLite's WAL with `synchronous=NORMAL` is as durable as
    /// `Deferred` on a power loss, and flushed against a crash of the process).
    Flushed,
    /// Written, flushed by the server shortly after (PostgreSQL `synchronous_commit = off`): a
    /// crash of the *server* may lose the last fraction of a second of commits, never leave
    /// half of one. Used for a fleet run's scans: a run that lost one re-scans that image when
    /// it is resumed.
    Deferred,
}

/// The default store: `$DRYDOCK_STORE`, else `$XDG_DATA_HOME/drydock/history.db`, else
/// `~/.local/share/drydock/history.db`.
pub fn default_location() -> Result<String, StoreError> {
    if let Ok(s) = std::env::var("DRYDOCK_STORE")
        && !s.is_empty()
    {
        return Ok(s);
    }
    let base = match std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        Some(d) => std::path::PathBuf::from(d),
        None => match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
            Some(h) => std::path::PathBuf::from(h).join(".local/share"),
            None => {
                return Err(StoreError::Invalid(
                    "no store given and neither XDG_DATA_HOME nor HOME is set: use --store".into(),
                ));
            }
        },
    };
    Ok(base
        .join("drydock")
        .join("history.db")
        .to_string_lossy()
        .into_owned())
}

/// A connection URL without its password (`postgres://user:***@host/db`).
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, tail) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => format!("{userinfo}@{host}"),
        },
        None => authority.to_string(),
    };
    // Query parameters may carry `password=`.
    let tail = match tail.split_once('?') {
        Some((path, q)) => {
            let q: Vec<String> = q
                .split('&')
                .map(|kv| match kv.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                    _ => kv.to_string(),
                })
                .collect();
            format!("{path}?{}", q.join("&"))
        }
        None => tail.to_string(),
    };
    format!("{scheme}://{authority}{tail}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords() {
        assert_eq!(
            super::redact_url("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(
            super::redact_url("postgresql://h/db?user=u&password=secret"),
            "postgresql://h/db?user=u&password=***"
        );
        assert_eq!(super::redact_url("/tmp/x.db"), "/tmp/x.db");
    }
}
