//! rpm: the package database in all three formats rpm has used, read without calling `rpm`.
//!
//! | file           | backend                       | module     |
//! |----------------|-------------------------------|------------|
//! | `rpmdb.sqlite` | SQLite (rpm ≥ 4.16)           | [`sqlite`] |
//! | `Packages`     | Berkeley DB hash (rpm < 4.16) | [`bdb`]    |
//! | `Packages.db`  | NDB (SUSE)                    | [`ndb`]    |
//!
//! each under `var/lib/rpm/` or `usr/lib/sysimage/rpm/`. Every backend stores one rpm header
//! blob per installed package ([`header`]); the package is its NAME, EPOCH, VERSION, RELEASE,
//! ARCH, SOURCERPM and LICENSE tags.
//!
//! SQLite is read with `rusqlite`. The Berkeley DB and NDB readers are drydock's own: no
//! maintained Rust crate reads either format (the Berkeley DB bindings need `libdb`, which
//! distributions are dropping, and would open a hostile file with C code), and rpm writes a
//! small, fixed subset of each format, which is what these readers accept.
//!
//! A damaged database is an error, not an empty list (the analyzer is fatal): an image whose
//! packages cannot be read must not look clean.
//!
//! `gpg-pubkey` entries (imported signing keys, which rpm stores as headers) are kept, as
//! `rpm -qa` lists them; they have no arch and no source rpm.

mod bdb;
mod header;
mod ndb;
mod sqlite;

use drydock_image::FileMeta;
use drydock_package::{Ecosystem, Package, SourcePackage};

use crate::{Analysis, AnalyzeError, Analyzer, Mode};

#[derive(Debug)]
pub(crate) struct RpmAnalyzer;

const DIRS: [&str; 2] = ["var/lib/rpm/", "usr/lib/sysimage/rpm/"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Sqlite,
    Bdb,
    Ndb,
}

fn format_of(path: &str) -> Option<Format> {
    let name = DIRS.iter().find_map(|d| path.strip_prefix(d))?;
    match name {
        "rpmdb.sqlite" => Some(Format::Sqlite),
        "Packages" => Some(Format::Bdb),
        "Packages.db" => Some(Format::Ndb),
        _ => None,
    }
}

impl Analyzer for RpmAnalyzer {
    fn name(&self) -> &'static str {
        "rpm"
    }

    fn wants(&self, path: &str, _meta: &FileMeta, _mode: Mode) -> bool {
        format_of(path).is_some()
    }

    fn analyze(&self, path: &str, content: &[u8]) -> Result<Analysis, AnalyzeError> {
        let Some(format) = format_of(path) else {
            return Ok(Analysis::default());
        };
        let mut analysis = Analysis::default();
        for h in headers(format, content).map_err(|e| AnalyzeError::malformed(e.to_string()))? {
            let (p, warning) = package(h);
            crate::limit::push_package(&mut analysis.packages, p)?;
            analysis.warnings.extend(warning);
        }
        Ok(analysis)
    }

    fn fatal(&self) -> bool {
        true
    }
}

/// Why an rpm database could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Error {
    #[error("Berkeley DB: {0}")]
    Bdb(#[from] bdb::Error),
    #[error("NDB: {0}")]
    Ndb(#[from] ndb::Error),
    #[error("SQLite: {0}")]
    Sqlite(#[from] sqlite::Error),
    #[error("package record `{record}`: {source}")]
    Header { record: i64, source: header::Error },
    #[error(
        "more than {max} package records in one file; not read (the bound on packages per file, `--max-packages`, docs/limits.md)"
    )]
    TooMany { max: usize },
}

fn decode(record: impl Into<i64>, blob: &[u8]) -> Result<header::Header, Error> {
    let record = record.into();
    header::parse(blob).map_err(|source| Error::Header { record, source })
}

/// The decoded headers, in record order. Blobs are decoded as the reader finds them, one at
/// a time (each at most [`header::MAX_BLOB`], together at most the file's size: each reader
/// checks), so no more than one blob is held besides the file; more than
/// [`crate::limit::Bounds::max_packages`] records stop the read at the first one past it.
fn headers(format: Format, content: &[u8]) -> Result<Vec<header::Header>, Error> {
    let max = crate::limit::bounds().max_packages;
    let mut out: Vec<(i64, header::Header)> = Vec::new();
    let mut each = |record: i64, blob: &[u8]| -> Result<(), Error> {
        if out.len() >= max {
            return Err(Error::TooMany { max });
        }
        out.push((record, decode(record, blob)?));
        Ok(())
    };
    match format {
        Format::Sqlite => each_blob(|v| sqlite::walk(content, v), |r, b| each(r, b))?,
        Format::Bdb => each_blob(|v| bdb::walk(content, v), |r: u32, b| each(r.into(), b))?,
        Format::Ndb => each_blob(|v| ndb::walk(content, v), |r: u32, b| each(r.into(), b))?,
    }
    // Berkeley DB walks buckets; rpm lists records in order (SQLite's come ordered, NDB's in
    // slot order, as before).
    if format == Format::Bdb {
        out.sort_by_key(|(record, _)| *record);
    }
    Ok(out.into_iter().map(|(_, h)| h).collect())
}

/// A reader's blob walk (`sqlite::walk`, …: it calls its visitor with each record and blob,
/// and stops when the visitor returns `false`).
type Visit<'v, R> = &'v mut dyn FnMut(R, &[u8]) -> bool;

/// Runs a reader's `walk`, calling `each` with every blob, one at a time: a blob is not kept
/// once `each` returns. An error from `each` stops the walk and is returned, else the
/// reader's own.
fn each_blob<R, ReadError, E: From<ReadError>>(
    walk: impl FnOnce(Visit<'_, R>) -> Result<(), ReadError>,
    mut each: impl FnMut(R, &[u8]) -> Result<(), E>,
) -> Result<(), E> {
    let mut failed = None;
    let walked = walk(&mut |record, blob| match each(record, blob) {
        Ok(()) => true,
        Err(e) => {
            failed = Some(e);
            false
        }
    });
    match failed {
        Some(e) => Err(e),
        None => walked.map_err(E::from),
    }
}

/// Every blob of a reader's walk, kept (for the readers' tests).
#[cfg(test)]
fn collect<R, ReadError>(
    walk: impl FnOnce(Visit<'_, R>) -> Result<(), ReadError>,
) -> Result<Vec<(R, Vec<u8>)>, ReadError> {
    let mut out = Vec::new();
    walk(&mut |record, blob| {
        out.push((record, blob.to_vec()));
        true
    })?;
    Ok(out)
}

/// Splits `name-version-release.src.rpm` into the name and `version-release`.
fn parse_source_rpm(srpm: &str) -> Option<(&str, &str)> {
    let stem = srpm
        .strip_suffix(".src.rpm")
        .or_else(|| srpm.strip_suffix(".nosrc.rpm"))?;
    let (name_version, release) = stem.rsplit_once('-')?;
    let (name, version) = name_version.rsplit_once('-')?;
    if name.is_empty() || version.is_empty() || release.is_empty() {
        return None;
    }
    Some((name, &stem[name.len() + 1..]))
}

/// The package of one header, and a warning when its source rpm name cannot be parsed.
fn package(h: header::Header) -> (Package, Option<String>) {
    let version = match h.epoch {
        Some(e) => format!("{e}:{}-{}", h.version, h.release),
        None => format!("{}-{}", h.version, h.release),
    };
    let mut p = Package::new(Ecosystem::Rpm, &h.name, version);
    p.arch = h.arch;
    p.licenses.extend(h.license);
    let mut warning = None;
    if let Some(srpm) = &h.source_rpm {
        match parse_source_rpm(srpm) {
            Some((name, vr)) => {
                p.source = Some(SourcePackage {
                    name: name.to_string(),
                    version: Some(vr.to_string()),
                });
            }
            None => {
                warning = Some(format!(
                    "package `{}`: source rpm `{srpm}` is not `name-version-release.src.rpm`",
                    h.name
                ));
            }
        }
    }
    (p, warning)
}

/// The parsers, for the fuzz targets in `fuzz/`: each must return, never panic.
#[doc(hidden)]
pub mod fuzz_entry_points {
    /// Parses one header blob.
    pub fn header(data: &[u8]) -> bool {
        super::header::parse(data).is_ok()
    }

    /// Reads a Berkeley DB `Packages` file and every header in it.
    pub fn bdb(data: &[u8]) -> bool {
        super::headers(super::Format::Bdb, data).is_ok()
    }

    /// Reads an NDB `Packages.db` file and every header in it.
    pub fn ndb(data: &[u8]) -> bool {
        super::headers(super::Format::Ndb, data).is_ok()
    }

    /// Reads an `rpmdb.sqlite` file and every header in it.
    pub fn sqlite(data: &[u8]) -> bool {
        super::headers(super::Format::Sqlite, data).is_ok()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::BTreeSet;
    use std::path::PathBuf;

    use super::*;

    pub(crate) fn shared(rel: &str) -> PathBuf {
        let root = std::env::var_os("DRYDOCK_SHARED").map_or_else(
            || PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")),
            PathBuf::from,
        );
        root.join("data").join(rel)
    }

    /// `name epoch version release arch sourcerpm` rows, epoch 0 for none.
    type Row = (String, u32, String, String, String, String);

    fn expected(rel: &str) -> BTreeSet<Row> {
        let text = std::fs::read_to_string(shared(rel)).expect("expected list");
        text.lines()
            .map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                assert_eq!(f.len(), 6, "{l}");
                (
                    f[0].to_string(),
                    f[1].parse().expect("epoch"),
                    f[2].to_string(),
                    f[3].to_string(),
                    f[4].to_string(),
                    f[5].to_string(),
                )
            })
            .collect()
    }

    fn parsed(format: Format, rel: &str) -> BTreeSet<Row> {
        let file = std::fs::read(shared(rel)).expect("database");
        headers(format, &file)
            .expect("valid database")
            .into_iter()
            .map(|h| {
                (
                    h.name,
                    h.epoch.unwrap_or(0),
                    h.version,
                    h.release,
                    h.arch.unwrap_or_default(),
                    h.source_rpm.unwrap_or_default(),
                )
            })
            .collect()
    }

    #[test]
    fn sqlite_matches_rpm() {
        let got = parsed(Format::Sqlite, "rpmdb/sqlite-cbl-mariner-2.0/rpmdb.sqlite");
        let want = expected("rpmdb/sqlite-cbl-mariner-2.0/expected-packages.rpm-4.18.tsv");
        assert_eq!(want.len(), 129);
        assert_eq!(got, want);
    }

    #[test]
    fn bdb_matches_rpm() {
        let got = parsed(Format::Bdb, "rpmdb/bdb-libuuid/Packages");
        let want = expected("rpmdb/bdb-libuuid/expected-packages.rpm-4.18.tsv");
        assert_eq!(got, want);
    }

    #[test]
    fn ndb_matches_go_rpmdb() {
        let got = parsed(Format::Ndb, "rpmdb/ndb-sle15-bci/Packages.db");
        let want = expected("rpmdb/ndb-sle15-bci/expected-packages.go-rpmdb.tsv");
        assert_eq!(want.len(), 35);
        assert_eq!(got, want);
    }

    #[test]
    fn paths() {
        let meta = FileMeta {
            size: 1,
            mode: 0o644,
            kind: drydock_image::EntryKind::File,
        };
        for p in [
            "var/lib/rpm/Packages",
            "var/lib/rpm/Packages.db",
            "var/lib/rpm/rpmdb.sqlite",
            "usr/lib/sysimage/rpm/Packages",
            "usr/lib/sysimage/rpm/Packages.db",
            "usr/lib/sysimage/rpm/rpmdb.sqlite",
        ] {
            assert!(RpmAnalyzer.wants(p, &meta, Mode::Image), "{p}");
        }
        for p in [
            "var/lib/rpm/Name",
            "var/lib/rpm/rpmdb.sqlite-wal",
            "usr/lib/rpm/Packages",
            "x/var/lib/rpm/Packages",
        ] {
            assert!(!RpmAnalyzer.wants(p, &meta, Mode::Image), "{p}");
        }
    }

    #[test]
    fn package_fields() {
        let h = header::parse(&header::sample()).expect("sample");
        let (p, warning) = package(h);
        assert_eq!(warning, None);
        assert_eq!(p.ecosystem, Ecosystem::Rpm);
        assert_eq!(p.name, "zlib");
        assert_eq!(p.version, "2:1.2.11-3.el8");
        assert_eq!(p.arch.as_deref(), Some("x86_64"));
        assert_eq!(p.licenses, vec!["zlib and Boost".to_string()]);
        assert_eq!(
            p.source,
            Some(SourcePackage {
                name: "zlib".into(),
                version: Some("1.2.11-3.el8".into())
            })
        );
    }

    #[test]
    fn source_rpm_names() {
        assert_eq!(
            parse_source_rpm("util-linux-2.32.1-42.el8_8.src.rpm"),
            Some(("util-linux", "2.32.1-42.el8_8"))
        );
        assert_eq!(
            parse_source_rpm("gcc11-11.2.1+git610-1.3.9.nosrc.rpm"),
            Some(("gcc11", "11.2.1+git610-1.3.9"))
        );
        assert_eq!(parse_source_rpm("foo-1.src.rpm"), None);
        assert_eq!(parse_source_rpm("foo-1-2.rpm"), None);
        assert_eq!(parse_source_rpm("-1-2.src.rpm"), None);
    }

    /// A header blob inside a real database with one byte changed, through the analyzer.
    #[test]
    fn flipped_byte_in_stored_header_is_an_error() {
        // SQLite: rewrite one row's blob with its entry count flipped.
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("rpmdb.sqlite");
        let original = std::fs::read(shared("rpmdb/sqlite-cbl-mariner-2.0/rpmdb.sqlite"));
        std::fs::write(&path, original.expect("sqlite")).expect("copy");
        let conn = rusqlite::Connection::open(&path).expect("open copy");
        let mut blob: Vec<u8> = conn
            .query_row("SELECT blob FROM Packages WHERE hnum = 5", [], |r| r.get(0))
            .expect("row 5");
        blob[1] ^= 0x01;
        conn.execute("UPDATE Packages SET blob = ?1 WHERE hnum = 5", [&blob])
            .expect("update");
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
            .expect("checkpoint");
        drop(conn);
        let file = std::fs::read(&path).expect("read back");
        let err = RpmAnalyzer
            .analyze("var/lib/rpm/rpmdb.sqlite", &file)
            .expect_err("damaged header");
        assert!(
            err.to_string()
                .starts_with("package record `5`: header claims 65"),
            "{err}"
        );

        // Berkeley DB: the header's first data type byte (entry 0's type) of record 1.
        let mut file = std::fs::read(shared("rpmdb/bdb-libuuid/Packages")).expect("bdb");
        // Record 1's value starts on overflow page 3, after the 26-byte page header.
        file[3 * 4096 + 26 + 8 + 7] ^= 0x40;
        let err = RpmAnalyzer
            .analyze("var/lib/rpm/Packages", &file)
            .expect_err("damaged header");
        assert!(
            err.to_string().starts_with("package record `1`: entry 0"),
            "{err}"
        );
    }

    #[test]
    fn wrong_format_at_a_path_is_an_error() {
        let file = std::fs::read(shared("rpmdb/bdb-libuuid/Packages")).expect("bdb");
        let err = RpmAnalyzer
            .analyze("usr/lib/sysimage/rpm/rpmdb.sqlite", &file)
            .expect_err("not sqlite");
        assert_eq!(
            err.to_string(),
            "SQLite: not an SQLite database (wrong magic)"
        );
        let err = RpmAnalyzer
            .analyze("usr/lib/sysimage/rpm/Packages.db", b"")
            .expect_err("empty");
        assert!(err.to_string().starts_with("NDB: file of 0 bytes"), "{err}");
    }
}
