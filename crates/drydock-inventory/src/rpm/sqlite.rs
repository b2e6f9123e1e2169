//! rpm's SQLite backend (`rpmdb.sqlite`, rpm ≥ 4.16: Fedora ≥ 33, RHEL 9, CBL-Mariner, …):
//! table `Packages(hnum INTEGER PRIMARY KEY, blob BLOB)`, one header blob per row.
//!
//! The analyzer gets the file's bytes, so the database is opened from memory with SQLite's
//! `sqlite3_deserialize` (rusqlite's `serialize` feature) rather than written to a temporary
//! file: no disk traffic, no temp-dir permissions or clean-up, nothing left behind when a scan
//! is interrupted, and a read-only in-memory database cannot be written by a hostile file's
//! triggers. The copy this makes is one file's size, the same a temporary file would cost.
//!
//! rpm keeps its database in WAL mode (header bytes 18 and 19 are 2). The in-memory VFS has no
//! WAL, so the copy is marked as a rollback-journal database, which is what the main file is
//! once rpm has checkpointed (it does on close). Transactions still in `rpmdb.sqlite-wal` are
//! not seen: that file is not in the image once rpm exited cleanly.
//!
//! A hostile file can hold a schema that runs code when read (issue 14 case 4: `Packages` as a
//! VIEW over an endless recursive query). So: `trusted_schema` off and defensive mode on, only
//! a real table named `Packages` with `hnum` and `blob` columns is read, temporary storage
//! stays in memory, and a progress handler stops any statement after [`MAX_STEPS`] virtual
//! machine steps (far more than reading every row of a real database takes).

use rusqlite::{Connection, MAIN_DB, config::DbConfig, limits::Limit};

const MAGIC: &[u8; 16] = b"SQLite format 3\0";
const HEADER_SIZE: usize = 100;

/// SQLite virtual-machine steps a database may cost, per byte of file (and at least
/// [`MIN_STEPS`]): reading a real rpmdb.sqlite takes well under one step per byte.
const STEPS_PER_BYTE: u64 = 64;
const MIN_STEPS: u64 = 200_000_000;
/// Steps between two progress-handler calls.
const STEP_GRAIN: i32 = 10_000;

/// Why an `rpmdb.sqlite` file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Error {
    #[error("not an SQLite database (wrong magic)")]
    Magic,
    #[error("invalid SQLite page size `{size}`")]
    PageSize { size: u32 },
    #[error("file is {len} bytes but its header says {pages} pages of {page_size} bytes")]
    Truncated {
        len: usize,
        pages: u32,
        page_size: u32,
    },
    #[error("{0}")]
    Sqlite(String),
    #[error("row `{hnum}`: blob column is not a blob")]
    NotBlob { hnum: i64 },
    #[error("rows hold more blob bytes than the {len}-byte file (shared or looping pages)")]
    Oversized { len: usize },
    #[error("`Packages` is not a table with `hnum` and `blob` columns (a {kind}); not read")]
    NotATable { kind: String },
    #[error("reading took more than {steps} SQLite steps; stopped (a hostile schema?)")]
    TooSlow { steps: u64 },
    #[error(
        "a value longer than the file or than {} MiB (the bound on one rpm header, docs/limits.md); not read",
        super::header::MAX_BLOB >> 20
    )]
    TooBig,
}

fn sql(e: rusqlite::Error) -> Error {
    Error::Sqlite(e.to_string())
}

fn be(b: &[u8]) -> u32 {
    b.iter().fold(0, |acc, &c| (acc << 8) | u32::from(c))
}

/// Checks the 100-byte file header before SQLite sees the file, for errors that say what is
/// wrong (SQLite reports most damage as "database disk image is malformed").
fn check_header(file: &[u8]) -> Result<(), Error> {
    if file.len() < HEADER_SIZE || &file[..16] != MAGIC {
        return Err(Error::Magic);
    }
    let page_size = match be(&file[16..18]) {
        1 => 65536,
        n => n,
    };
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(Error::PageSize { size: page_size });
    }
    // The page count in the header is valid when the change counter (24..28) matches
    // "version-valid-for" (92..96); older writers leave it stale.
    let pages = be(&file[28..32]);
    let valid = file[24..28] == file[92..96];
    let short = u64::from(pages) * u64::from(page_size) > file.len() as u64;
    if (valid && short) || !file.len().is_multiple_of(page_size as usize) {
        return Err(Error::Truncated {
            len: file.len(),
            pages,
            page_size,
        });
    }
    Ok(())
}

/// Accepts only a real table `Packages` with `hnum` and `blob` columns: a view, a virtual
/// table or a trigger-laden stand-in could run arbitrary queries when selected from.
fn check_schema(conn: &Connection) -> Result<(), Error> {
    let kind: Option<String> = conn
        .query_row(
            "SELECT type FROM main.sqlite_schema WHERE name = 'Packages' COLLATE NOCASE",
            [],
            |r| r.get(0),
        )
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(sql(e)),
        })?;
    let Some(kind) = kind else {
        return Err(Error::Sqlite("no such table: Packages".into()));
    };
    let sql_text: String = conn
        .query_row(
            "SELECT coalesce(sql, '') FROM main.sqlite_schema WHERE name = 'Packages' COLLATE NOCASE",
            [],
            |r| r.get(0),
        )
        .map_err(sql)?;
    if kind != "table" || sql_text.to_ascii_uppercase().contains("VIRTUAL") {
        return Err(Error::NotATable { kind });
    }
    let mut stmt = conn
        .prepare("SELECT name FROM pragma_table_info('Packages')")
        .map_err(sql)?;
    let columns: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .map_err(sql)?
        .collect::<Result<_, _>>()
        .map_err(sql)?;
    if !["hnum", "blob"]
        .iter()
        .all(|c| columns.iter().any(|k| k.eq_ignore_ascii_case(c)))
    {
        return Err(Error::NotATable {
            kind: format!("table with columns {}", columns.join(", ")),
        });
    }
    Ok(())
}

/// The blobs of `file`, kept (for tests).
#[cfg(test)]
pub(crate) fn blobs(file: &[u8]) -> Result<Vec<(i64, Vec<u8>)>, Error> {
    super::collect(|visit| walk(file, visit))
}

/// Walks the header blobs of an `rpmdb.sqlite` file, with their `hnum`, in `hnum` order;
/// `visit` returns `false` to stop.
pub(crate) fn walk(file: &[u8], visit: &mut dyn FnMut(i64, &[u8]) -> bool) -> Result<(), Error> {
    let steps = (file.len() as u64)
        .saturating_mul(STEPS_PER_BYTE)
        .max(MIN_STEPS);
    walk_within(file, steps, visit)
}

/// [`walk`], stopping any statement after about `steps` SQLite virtual-machine steps.
fn walk_within(
    file: &[u8],
    steps: u64,
    visit: &mut dyn FnMut(i64, &[u8]) -> bool,
) -> Result<(), Error> {
    check_header(file)?;
    let mut conn = Connection::open_in_memory().map_err(sql)?;
    // A database from an image is untrusted input: SQLite's advice for such files.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)
        .map_err(sql)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)
        .map_err(sql)?;
    let journal_mode: &[u8] = if file[18] == 2 && file[19] == 2 {
        &[1, 1]
    } else {
        &file[18..20]
    };
    let reader = std::io::Read::chain(std::io::Read::chain(&file[..18], journal_mode), &file[20..]);
    conn.deserialize_read_exact(MAIN_DB, reader, file.len(), true)
        .map_err(sql)?;
    // A damaged file can make rows share or loop through overflow pages and so claim more
    // data than it holds: no value may be longer than the file, nor all values together.
    // One value is also at most a header blob's bound.
    let limit = i32::try_from(file.len().min(super::header::MAX_BLOB)).unwrap_or(i32::MAX);
    conn.set_limit(Limit::SQLITE_LIMIT_LENGTH, limit)
        .map_err(sql)?;
    conn.execute_batch(
        "PRAGMA cell_size_check = ON; PRAGMA temp_store = MEMORY; PRAGMA query_only = ON;",
    )
    .map_err(sql)?;
    let mut calls = 0u64;
    let max_calls = steps / STEP_GRAIN as u64;
    conn.progress_handler(
        STEP_GRAIN,
        Some(move || {
            calls += 1;
            calls > max_calls
        }),
    )
    .map_err(sql)?;
    let interrupted = |e: rusqlite::Error| match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::OperationInterrupted) => Error::TooSlow { steps },
        Some(rusqlite::ErrorCode::TooBig) => Error::TooBig,
        _ => sql(e),
    };
    check_schema(&conn)?;
    let mut stmt = conn
        .prepare("SELECT hnum, blob FROM main.Packages ORDER BY hnum")
        .map_err(sql)?;
    let mut rows = stmt.query([]).map_err(interrupted)?;
    let mut total = 0usize;
    while let Some(row) = rows.next().map_err(interrupted)? {
        let hnum: i64 = row.get(0).map_err(sql)?;
        match row.get_ref(1).map_err(sql)? {
            rusqlite::types::ValueRef::Blob(b) => {
                total += b.len();
                if total > file.len() {
                    return Err(Error::Oversized { len: file.len() });
                }
                if !visit(hnum, b) {
                    return Ok(());
                }
            }
            _ => return Err(Error::NotBlob { hnum }),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn real() -> Vec<u8> {
        std::fs::read(super::super::tests::shared(
            "rpmdb/sqlite-cbl-mariner-2.0/rpmdb.sqlite",
        ))
        .expect("shared data")
    }

    #[test]
    fn real_file() {
        let blobs = blobs(&real()).expect("valid rpmdb.sqlite");
        assert_eq!(blobs.len(), 129);
    }

    #[test]
    fn wrong_magic() {
        let mut file = real();
        file[0] = b's';
        assert_eq!(blobs(&file), Err(Error::Magic));
    }

    #[test]
    fn truncated() {
        let file = real();
        for len in [0, 99, 4096, file.len() / 2, file.len() - 4096] {
            let err = blobs(&file[..len]).expect_err("truncated");
            assert!(
                matches!(err, Error::Magic | Error::Truncated { .. }),
                "{len}: {err}"
            );
        }
        let err = blobs(&file[..file.len() - 1]).expect_err("truncated");
        assert!(err.to_string().contains("header says 880 pages"), "{err}");
    }

    #[test]
    fn not_an_rpm_database() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.sqlite");
        let conn = Connection::open(&path).expect("create");
        conn.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
            .expect("fill");
        drop(conn);
        let file = std::fs::read(&path).expect("read back");
        let err = blobs(&file).expect_err("no Packages table");
        assert!(err.to_string().contains("no such table: Packages"), "{err}");

        let conn = Connection::open(&path).expect("reopen");
        conn.execute_batch("CREATE TABLE Packages(hnum INTEGER PRIMARY KEY, blob); INSERT INTO Packages VALUES (7, 'text');")
            .expect("fill");
        drop(conn);
        let file = std::fs::read(&path).expect("read back");
        assert_eq!(blobs(&file), Err(Error::NotBlob { hnum: 7 }));
    }

    /// Writes a database made by `sql` and returns its bytes.
    fn db_of(sql: &str) -> Vec<u8> {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("rpmdb.sqlite");
        let conn = Connection::open(&path).expect("create");
        conn.execute_batch(sql).expect("schema");
        drop(conn);
        std::fs::read(&path).expect("read back")
    }

    /// Issue 14 case 4: `Packages` as a VIEW over an endless recursive query spun forever.
    #[test]
    fn issue14_only_a_real_packages_table_is_read() {
        let view = db_of(
            "CREATE VIEW Packages AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) \
             SELECT x AS hnum, zeroblob(16) AS blob FROM c ORDER BY x;",
        );
        let err = blobs(&view).expect_err("a view is refused");
        assert!(
            matches!(err, Error::NotATable { ref kind } if kind == "view"),
            "{err}"
        );
        let columns = db_of("CREATE TABLE Packages (id INTEGER, data BLOB);");
        let err = blobs(&columns).expect_err("wrong columns");
        assert!(matches!(err, Error::NotATable { .. }), "{err}");
        let missing = db_of("CREATE TABLE Other (hnum INTEGER, blob BLOB);");
        assert!(blobs(&missing).is_err());
        // A real table still reads, triggers or not (query_only: none can fire).
        let ok = db_of(
            "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB NOT NULL); \
             INSERT INTO Packages VALUES (1, x'00'), (2, x'0102');",
        );
        assert_eq!(blobs(&ok), Ok(vec![(1, vec![0]), (2, vec![1, 2])]));
    }

    /// Issue 14 case 4, the time bound itself: the progress handler stops a statement that
    /// runs past its step budget, and no blob is handed out after it fired. 100,000 rows take
    /// about a million steps; the budget [`walk`] gives the file reads them all.
    #[test]
    fn issue14_case4_statements_stop_at_the_step_budget() {
        let rows = 100_000;
        let file = db_of(&format!(
            "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB NOT NULL); \
             WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {rows}) \
             INSERT INTO Packages SELECT x, x'00' FROM c;"
        ));
        let budget = 100_000;
        let mut seen = 0usize;
        let err = walk_within(&file, budget, &mut |_, _| {
            seen += 1;
            true
        })
        .expect_err("over the budget");
        assert_eq!(err, Error::TooSlow { steps: budget });
        assert!(seen < rows, "{seen} rows read past the budget");
        let mut all = 0usize;
        walk(&file, &mut |_, _| {
            all += 1;
            true
        })
        .expect("within the budget");
        assert_eq!(all, rows);
    }
}
