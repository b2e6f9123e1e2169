//! Versioned migrations, one list for both databases.
//!
//! Each migration is plain SQL in the dialect subset both share; `{ID}` is the one difference
//! (an auto-increment key). A store records its version in `drydock_schema`; opening a store
//! applies the missing migrations in one transaction, and a store written by a newer drydock
//! (a version above [`LATEST`]) is refused rather than misread.

use crate::StoreError;
use crate::conn::{Backend, Conn, Value};

/// The schema version this build writes.
pub const LATEST: i64 = 1;

const MIGRATIONS: &[(i64, &str)] = &[(1, V1)];

/// Runs, shards, image scans, the release membership of each image, finding identities,
/// observation intervals, advisory text, triage records and their audit trail.
///
/// An interval is a stretch of successful scans of one image reference in which one finding
/// was present with the same attributes. `last_seq` NULL means "still present at the
/// reference's latest successful scan": ingesting a run only touches the findings that
/// changed, so a year of daily runs costs what changed, not runs × findings.
///
/// Repositories, references and finding locations (layer digest, path) are stored once and
/// referred to by id: they repeat on every row that mentions them, and a year of a
/// 1000-image fleet is millions of such rows (bench/README.md has the sizes).
const V1: &str = r#"
CREATE TABLE runs (
    seq {ID},
    run_id TEXT NOT NULL UNIQUE,
    started_at BIGINT NOT NULL,
    finished_at BIGINT,
    status TEXT NOT NULL,
    shard_count BIGINT NOT NULL,
    drydock_version TEXT NOT NULL,
    db_built_at TEXT,
    db_sources TEXT,
    fleet_digest TEXT,
    fleet_path TEXT
);
CREATE TABLE run_shards (
    run_seq BIGINT NOT NULL REFERENCES runs(seq),
    shard_index BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    finished_at BIGINT,
    images_planned BIGINT NOT NULL,
    PRIMARY KEY (run_seq, shard_index)
);
CREATE TABLE repositories (
    id {ID},
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE image_refs (
    id {ID},
    reference TEXT NOT NULL UNIQUE,
    repository_id BIGINT NOT NULL REFERENCES repositories(id)
);
CREATE INDEX image_refs_repository ON image_refs(repository_id);
CREATE TABLE image_scans (
    id {ID},
    run_seq BIGINT NOT NULL REFERENCES runs(seq),
    ref_id BIGINT NOT NULL REFERENCES image_refs(id),
    status TEXT NOT NULL,
    error TEXT,
    digest TEXT,
    platform TEXT,
    os TEXT,
    package_count BIGINT NOT NULL,
    finding_count BIGINT NOT NULL,
    layers_analysed BIGINT NOT NULL,
    layers_cached BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    finished_at BIGINT NOT NULL,
    shard_index BIGINT NOT NULL,
    sources TEXT,
    labels TEXT,
    mirrored BIGINT NOT NULL,
    UNIQUE (run_seq, ref_id)
);
CREATE INDEX image_scans_ref ON image_scans(ref_id, run_seq);
CREATE TABLE run_releases (
    run_seq BIGINT NOT NULL REFERENCES runs(seq),
    release_name TEXT NOT NULL,
    ref_id BIGINT NOT NULL REFERENCES image_refs(id),
    position BIGINT NOT NULL,
    PRIMARY KEY (run_seq, release_name, ref_id)
);
CREATE TABLE findings (
    id {ID},
    fingerprint TEXT NOT NULL UNIQUE,
    repository_id BIGINT NOT NULL REFERENCES repositories(id),
    ecosystem TEXT NOT NULL,
    package TEXT NOT NULL,
    vuln_id TEXT NOT NULL,
    first_seq BIGINT NOT NULL
);
CREATE INDEX findings_vuln ON findings(vuln_id);
CREATE TABLE locations (
    id {ID},
    layer TEXT NOT NULL,
    path TEXT NOT NULL,
    UNIQUE (layer, path)
);
CREATE TABLE intervals (
    id {ID},
    finding_id BIGINT NOT NULL REFERENCES findings(id),
    ref_id BIGINT NOT NULL REFERENCES image_refs(id),
    first_seq BIGINT NOT NULL,
    last_seq BIGINT,
    continues BIGINT NOT NULL,
    installed TEXT NOT NULL,
    fixed TEXT,
    severity TEXT NOT NULL,
    status TEXT NOT NULL,
    pkg_type TEXT NOT NULL,
    advisory_id TEXT,
    location_id BIGINT REFERENCES locations(id)
);
CREATE INDEX intervals_ref ON intervals(ref_id, last_seq);
CREATE TABLE vulns (
    vuln_id TEXT PRIMARY KEY,
    title TEXT,
    description TEXT,
    url TEXT,
    aliases TEXT,
    cvss_score TEXT,
    cvss_vector TEXT,
    updated_seq BIGINT NOT NULL
);
CREATE TABLE triage (
    id {ID},
    scope TEXT NOT NULL,
    repository TEXT,
    release_name TEXT,
    ecosystem TEXT,
    package TEXT NOT NULL,
    vuln_id TEXT NOT NULL,
    state TEXT NOT NULL,
    justification TEXT,
    reason TEXT,
    notes TEXT,
    owner TEXT,
    approver TEXT,
    expires TEXT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX triage_key ON triage(scope, repository, release_name, ecosystem, package, vuln_id);
CREATE INDEX triage_vuln ON triage(vuln_id);
CREATE TABLE triage_events (
    id {ID},
    triage_id BIGINT NOT NULL REFERENCES triage(id),
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    field TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT
);
CREATE INDEX triage_events_triage ON triage_events(triage_id);
"#;

fn ddl(sql: &str, backend: Backend) -> String {
    let id = match backend {
        Backend::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
        Backend::Postgres => "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    };
    sql.replace("{ID}", id)
}

/// The store's schema version (0 for an empty database).
pub(crate) fn version(conn: &mut Conn) -> Result<i64, StoreError> {
    conn.batch("CREATE TABLE IF NOT EXISTS drydock_schema (version BIGINT NOT NULL)")
        .or_else(|e| match e {
            // A read-only store still answers what version it is.
            StoreError::ReadOnly(_) => Ok(()),
            e => Err(e),
        })?;
    let rows = conn.rows("SELECT MAX(version) FROM drydock_schema", &[])?;
    Ok(rows
        .first()
        .and_then(|r| r.first())
        .and_then(Value::int)
        .unwrap_or(0))
}

/// Applies every missing migration; returns the versions applied.
pub(crate) fn migrate(conn: &mut Conn, store: &str) -> Result<Vec<i64>, StoreError> {
    let backend = conn.backend();
    // One migrator at a time: two processes opening a new PostgreSQL store at once must not
    // both create the tables.
    if backend == Backend::Postgres {
        conn.batch("BEGIN; SELECT pg_advisory_xact_lock(7242024001);")?;
    } else {
        conn.batch("BEGIN IMMEDIATE")?;
    }
    let result = (|| {
        let current = version(conn)?;
        if current > LATEST {
            return Err(StoreError::TooNew {
                store: store.to_string(),
                found: current,
                supported: LATEST,
            });
        }
        if current == 1 && conn.rows("SELECT 1 FROM image_refs LIMIT 1", &[]).is_err() {
            // Development builds before the first release wrote a draft of version 1.
            return Err(StoreError::Open {
                store: store.to_string(),
                message: "it was written by a pre-release drydock (draft schema 1): \
                          create a new store (its history cannot be carried over)"
                    .into(),
            });
        }
        let mut applied = Vec::new();
        for (v, sql) in MIGRATIONS {
            if *v > current {
                conn.batch(&ddl(sql, backend))?;
                conn.exec(
                    "INSERT INTO drydock_schema (version) VALUES ($1)",
                    &[Value::from(*v)],
                )?;
                applied.push(*v);
            }
        }
        Ok(applied)
    })();
    match result {
        Ok(a) => {
            conn.batch("COMMIT")?;
            Ok(a)
        }
        Err(e) => {
            let _ = conn.batch("ROLLBACK");
            Err(e)
        }
    }
}
