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

use rusqlite::{Connection, MAIN_DB, config::DbConfig, limits::Limit};

const MAGIC: &[u8; 16] = b"SQLite format 3\0";
const HEADER_SIZE: usize = 100;

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

/// The header blobs of an `rpmdb.sqlite` file, with their `hnum`, in `hnum` order.
pub(crate) fn blobs(file: &[u8]) -> Result<Vec<(i64, Vec<u8>)>, Error> {
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
    let limit = i32::try_from(file.len()).unwrap_or(i32::MAX);
    conn.set_limit(Limit::SQLITE_LIMIT_LENGTH, limit)
        .map_err(sql)?;
    conn.execute_batch("PRAGMA cell_size_check = ON; PRAGMA query_only = ON;")
        .map_err(sql)?;
    let mut stmt = conn
        .prepare("SELECT hnum, blob FROM Packages ORDER BY hnum")
        .map_err(sql)?;
    let mut rows = stmt.query([]).map_err(sql)?;
    let mut out = Vec::new();
    let mut total = 0usize;
    while let Some(row) = rows.next().map_err(sql)? {
        let hnum: i64 = row.get(0).map_err(sql)?;
        match row.get_ref(1).map_err(sql)? {
            rusqlite::types::ValueRef::Blob(b) => {
                total += b.len();
                if total > file.len() {
                    return Err(Error::Oversized { len: file.len() });
                }
                out.push((hnum, b.to_vec()));
            }
            _ => return Err(Error::NotBlob { hnum }),
        }
    }
    Ok(out)
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
}
