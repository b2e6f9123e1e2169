//! One SQL connection over SQLite or PostgreSQL.
//!
//! The store writes its SQL once, in the subset both databases share: `$1`-style placeholders
//! (rewritten to `?1` for SQLite), `BIGINT` and `TEXT` columns only, `ON CONFLICT … DO …`
//! upserts. Values cross the seam as [`Value`]; rows come back as `Vec<Value>`. This is the
//! store's only backend-specific code besides the DDL of an auto-increment key.

use std::time::Duration;

use crate::StoreError;

/// A value bound to, or read from, a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Int(Option<i64>),
    Text(Option<String>),
}

impl Value {
    pub fn int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => *i,
            Value::Text(t) => t.as_deref().and_then(|s| s.parse().ok()),
        }
    }
    pub fn text(&self) -> Option<String> {
        match self {
            Value::Text(t) => t.clone(),
            Value::Int(i) => i.map(|i| i.to_string()),
        }
    }
    /// [`Value::text`] without a copy.
    pub fn into_text(self) -> Option<String> {
        match self {
            Value::Text(t) => t,
            Value::Int(i) => i.map(|i| i.to_string()),
        }
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(Some(v))
    }
}
impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Value {
        Value::Int(v)
    }
}
impl From<usize> for Value {
    fn from(v: usize) -> Value {
        Value::Int(Some(i64::try_from(v).unwrap_or(i64::MAX)))
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(Some(v.to_string()))
    }
}
impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(Some(v))
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Value {
        Value::Text(Some(v.clone()))
    }
}
impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Value {
        Value::Text(v)
    }
}
impl From<Option<&str>> for Value {
    fn from(v: Option<&str>) -> Value {
        Value::Text(v.map(str::to_string))
    }
}

/// Which database a store lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub(crate) enum Conn {
    Sqlite(rusqlite::Connection),
    Postgres(Box<PgConn>),
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Conn::Sqlite(_) => f.write_str("Conn::Sqlite"),
            Conn::Postgres(_) => f.write_str("Conn::Postgres"),
        }
    }
}

/// A PostgreSQL session and the statements it prepared: preparing is a round trip of its own,
/// so each SQL text is prepared once per session (prepared statements outlive transactions,
/// rolled back or not).
pub(crate) struct PgConn {
    client: postgres::Client,
    statements: std::collections::HashMap<String, postgres::Statement>,
}

impl PgConn {
    fn statement(&mut self, sql: &str) -> Result<postgres::Statement, StoreError> {
        if let Some(st) = self.statements.get(sql) {
            return Ok(st.clone());
        }
        let st = self.client.prepare(sql).map_err(pg_err)?;
        self.statements.insert(sql.to_string(), st.clone());
        Ok(st)
    }
}

/// `$1` → `?1` for SQLite (numbered parameters bind by number in both).
fn sqlite_sql(sql: &str) -> String {
    sql.replace('$', "?")
}

impl Conn {
    pub(crate) fn open_sqlite(path: &std::path::Path) -> Result<Conn, StoreError> {
        let uri = path.to_str().is_some_and(|p| p.starts_with("file:"));
        if !uri
            && let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(|e| StoreError::Open {
                store: path.display().to_string(),
                message: format!("cannot create its directory: {e}"),
            })?;
        }
        let c = rusqlite::Connection::open(path).map_err(|e| StoreError::Open {
            store: path.display().to_string(),
            message: e.to_string(),
        })?;
        // Concurrent writers (two fleet scans at once) wait for each other instead of failing.
        c.busy_timeout(Duration::from_secs(60))
            .map_err(|e| StoreError::Open {
                store: path.display().to_string(),
                message: e.to_string(),
            })?;
        // Every statement the store writes stays prepared (rusqlite keeps 16 by default).
        c.set_prepared_statement_cache_capacity(128);
        let c = Conn::Sqlite(c);
        // WAL lets readers (diff, the dashboard) run while a scan writes. A read-only file
        // cannot switch journal mode; it is still readable.
        let mut c = c;
        let _ = c.rows("PRAGMA journal_mode=WAL", &[]);
        let mut c = c;
        // A 32 MiB page cache (SQLite's default is 2 MiB): reading a whole run touches
        // findings scattered over the file.
        c.batch("PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-32768;")?;
        Ok(c)
    }

    pub(crate) fn open_postgres(url: &str) -> Result<Conn, StoreError> {
        let client =
            postgres::Client::connect(url, postgres::NoTls).map_err(|e| StoreError::Open {
                store: crate::redact_url(url),
                message: e.to_string(),
            })?;
        Ok(Conn::Postgres(Box::new(PgConn {
            client,
            statements: std::collections::HashMap::new(),
        })))
    }

    pub(crate) fn backend(&self) -> Backend {
        match self {
            Conn::Sqlite(_) => Backend::Sqlite,
            Conn::Postgres(_) => Backend::Postgres,
        }
    }

    pub(crate) fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        match self {
            Conn::Sqlite(c) => c.execute_batch(sql).map_err(sql_err),
            Conn::Postgres(c) => c.client.batch_execute(sql).map_err(pg_err),
        }
    }

    pub(crate) fn exec(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        match self {
            Conn::Sqlite(c) => {
                let mut st = c.prepare_cached(&sqlite_sql(sql)).map_err(sql_err)?;
                bind_sqlite(&mut st, params)?;
                Ok(st.raw_execute().map_err(sql_err)? as u64)
            }
            Conn::Postgres(c) => {
                let boxed = pg_params(params);
                let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
                    boxed.iter().map(|b| b.as_ref()).collect();
                let st = c.statement(sql)?;
                c.client.execute(&st, &refs).map_err(pg_err)
            }
        }
    }

    pub(crate) fn rows(
        &mut self,
        sql: &str,
        params: &[Value],
    ) -> Result<Vec<Vec<Value>>, StoreError> {
        match self {
            Conn::Sqlite(c) => {
                let mut st = c.prepare_cached(&sqlite_sql(sql)).map_err(sql_err)?;
                bind_sqlite(&mut st, params)?;
                let n = st.column_count();
                let mut rows = st.raw_query();
                let mut out = Vec::new();
                while let Some(r) = rows.next().map_err(sql_err)? {
                    let mut row = Vec::with_capacity(n);
                    for i in 0..n {
                        use rusqlite::types::ValueRef;
                        row.push(match r.get_ref(i).map_err(sql_err)? {
                            ValueRef::Null => Value::Int(None),
                            ValueRef::Integer(i) => Value::Int(Some(i)),
                            ValueRef::Real(f) => Value::Int(Some(f as i64)),
                            ValueRef::Text(t) => {
                                Value::Text(Some(String::from_utf8_lossy(t).into_owned()))
                            }
                            ValueRef::Blob(b) => {
                                Value::Text(Some(String::from_utf8_lossy(b).into_owned()))
                            }
                        });
                    }
                    out.push(row);
                }
                Ok(out)
            }
            Conn::Postgres(c) => {
                let boxed = pg_params(params);
                let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
                    boxed.iter().map(|b| b.as_ref()).collect();
                let st = c.statement(sql)?;
                let rows = c.client.query(&st, &refs).map_err(pg_err)?;
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    let mut row = Vec::with_capacity(r.len());
                    for (i, col) in r.columns().iter().enumerate() {
                        use postgres::types::Type;
                        let t = col.type_();
                        let v = if *t == Type::INT8 {
                            Value::Int(r.try_get::<_, Option<i64>>(i).map_err(pg_err)?)
                        } else if *t == Type::INT4 {
                            Value::Int(
                                r.try_get::<_, Option<i32>>(i)
                                    .map_err(pg_err)?
                                    .map(i64::from),
                            )
                        } else if *t == Type::INT2 {
                            Value::Int(
                                r.try_get::<_, Option<i16>>(i)
                                    .map_err(pg_err)?
                                    .map(i64::from),
                            )
                        } else if *t == Type::BOOL {
                            Value::Int(
                                r.try_get::<_, Option<bool>>(i)
                                    .map_err(pg_err)?
                                    .map(i64::from),
                            )
                        } else {
                            Value::Text(r.try_get::<_, Option<String>>(i).map_err(pg_err)?)
                        };
                        row.push(v);
                    }
                    out.push(row);
                }
                Ok(out)
            }
        }
    }
}

/// Text as both databases store it: PostgreSQL's `TEXT` cannot hold a NUL, so a NUL (from a
/// hostile package database, say) is stored as U+FFFD on both backends, which keeps their
/// answers the same and the rest of the value intact.
fn storable(v: &Option<String>) -> Option<std::borrow::Cow<'_, str>> {
    v.as_deref().map(stored_text)
}

/// `s` as the store keeps it (see [`storable`]).
pub(crate) fn stored_text(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains('\0') {
        std::borrow::Cow::Owned(s.replace('\0', "\u{FFFD}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

fn bind_sqlite(st: &mut rusqlite::CachedStatement<'_>, params: &[Value]) -> Result<(), StoreError> {
    for (i, p) in params.iter().enumerate() {
        let r = match p {
            Value::Int(v) => st.raw_bind_parameter(i + 1, v),
            Value::Text(v) => st.raw_bind_parameter(i + 1, storable(v).as_deref()),
        };
        r.map_err(sql_err)?;
    }
    Ok(())
}

fn pg_params(params: &[Value]) -> Vec<Box<dyn postgres::types::ToSql + Sync>> {
    params
        .iter()
        .map(|p| -> Box<dyn postgres::types::ToSql + Sync> {
            match p {
                Value::Int(v) => Box::new(*v),
                Value::Text(v) => Box::new(storable(v).map(std::borrow::Cow::into_owned)),
            }
        })
        .collect()
}

pub(crate) fn sql_err(e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode;
    if let rusqlite::Error::SqliteFailure(f, _) = &e {
        match f.code {
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => {
                return StoreError::Locked(e.to_string());
            }
            ErrorCode::ReadOnly => return StoreError::ReadOnly(e.to_string()),
            ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt => {
                return StoreError::Corrupt(e.to_string());
            }
            _ => {}
        }
    }
    StoreError::Sql(e.to_string())
}

pub(crate) fn pg_err(e: postgres::Error) -> StoreError {
    if e.is_closed() {
        return StoreError::Gone(e.to_string());
    }
    match e.as_db_error() {
        // Class 08 (connection exception) and 57P01–57P03 (the server shutting down or
        // ending this session): the connection is gone, not the query wrong.
        Some(db) if db.code().code().starts_with("08") || db.code().code().starts_with("57P") => {
            StoreError::Gone(format!("{}: {}", db.code().code(), db.message()))
        }
        Some(db) => StoreError::Sql(format!("{}: {}", db.code().code(), db.message())),
        None => {
            use std::error::Error as _;
            let mut src = e.source();
            while let Some(s) = src {
                if s.is::<std::io::Error>() {
                    return StoreError::Gone(e.to_string());
                }
                src = s.source();
            }
            StoreError::Sql(e.to_string())
        }
    }
}
