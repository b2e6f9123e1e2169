//! The read side: [`Db`], opened read-only by scans.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::FeedKey;
use crate::build::{SourceStats, sort_severities};
use crate::error::DbError;
use crate::key::normalize_package;
use crate::model::{Advisory, Affected, AliasGroup, Informational, Severity, Status};
use crate::schema::SCHEMA_VERSION;

/// An open vulnerability DB (read-only). Not `Sync`: open one per thread.
#[derive(Debug)]
pub struct Db {
    conn: Connection,
    path: PathBuf,
}

/// What `drydock db status` shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbStatus {
    pub path: PathBuf,
    pub schema_version: u32,
    /// Seconds since the Unix epoch.
    pub built_at: u64,
    /// `built_at` as RFC 3339.
    pub built_at_rfc3339: String,
    /// The drydock version that built the file.
    pub built_by: String,
    pub size_bytes: u64,
    pub sources: BTreeMap<String, SourceStats>,
}

/// `file:` URI of `path` (made absolute, every byte outside RFC 3986's unreserved set and `/`
/// percent-encoded) with `immutable=1`.
fn immutable_uri(path: &Path) -> String {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut uri = String::from("file:");
    for &b in abs.as_os_str().as_encoded_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            uri.push(char::from(b));
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri.push_str("?immutable=1");
    uri
}

impl Db {
    /// Opens the DB at `path` read-only and checks its schema version.
    pub fn open(path: &Path) -> Result<Db, DbError> {
        if !path.is_file() {
            return Err(DbError::Missing {
                path: path.to_path_buf(),
            });
        }
        // `immutable=1`: no file locks and no journal checks per query (a fleet scan makes
        // tens of thousands of queries). Sound because a DB file is never written in place:
        // `build` and `db update` write a new file and rename it over the old one, and an
        // open handle keeps reading the file it opened. The build leaves no journal behind.
        let conn = Connection::open_with_flags(
            immutable_uri(path),
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )
        .map_err(|source| DbError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let db = Db {
            conn,
            path: path.to_path_buf(),
        };
        let found = db.meta("schema_version").map_err(|e| match e {
            DbError::Query { path, source } => DbError::Open { path, source },
            other => other,
        })?;
        if found.as_deref() != Some(&SCHEMA_VERSION.to_string()) {
            return Err(DbError::Schema {
                path: path.to_path_buf(),
                found: found.unwrap_or_else(|| "none".into()),
                expected: SCHEMA_VERSION,
            });
        }
        Ok(db)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn qerr(&self) -> impl Fn(rusqlite::Error) -> DbError + '_ {
        |source| DbError::Query {
            path: self.path.clone(),
            source,
        }
    }

    fn meta(&self, key: &str) -> Result<Option<String>, DbError> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(self.qerr())
    }

    fn json<T: DeserializeOwned>(
        &self,
        what: &'static str,
        id: &str,
        s: &str,
    ) -> Result<T, DbError> {
        serde_json::from_str(s).map_err(|source| DbError::Corrupt {
            path: self.path.clone(),
            what,
            id: id.to_string(),
            source,
        })
    }

    /// Schema version, build time, per-source counts and feed timestamps.
    pub fn status(&self) -> Result<DbStatus, DbError> {
        let built_at: u64 = self
            .meta("built_at")?
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let sources = match self.meta("sources")? {
            Some(s) => self.json("meta", "sources", &s)?,
            None => BTreeMap::new(),
        };
        Ok(DbStatus {
            path: self.path.clone(),
            schema_version: SCHEMA_VERSION,
            built_at,
            built_at_rfc3339: crate::time::rfc3339(UNIX_EPOCH + Duration::from_secs(built_at)),
            built_by: self.meta("drydock_version")?.unwrap_or_default(),
            size_bytes: std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0),
            sources,
        })
    }

    /// How long ago the DB was built (zero if the clock says the future). Scans warn past
    /// [`crate::DEFAULT_MAX_AGE`] or the configured age.
    pub fn age(&self) -> Result<Duration, DbError> {
        let built = self.status()?.built_at;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_secs();
        Ok(Duration::from_secs(now.saturating_sub(built)))
    }

    /// Whether any record is stored under `key` (a distribution release, a language
    /// ecosystem): when none is, packages looked up there cannot be said to be unaffected.
    pub fn covers(&self, key: &FeedKey) -> Result<bool, DbError> {
        self.conn
            .prepare_cached("SELECT 1 FROM affected WHERE ecosystem = ?1 AND release = ?2 LIMIT 1")
            .and_then(|mut st| st.exists(params![key.ecosystem, key.release]))
            .map_err(self.qerr())
    }

    /// The releases of distribution `family` (`alpine`) that records are stored under, sorted
    /// as text; empty when the DB has none of that family.
    pub fn releases(&self, family: &str) -> Result<Vec<String>, DbError> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT DISTINCT release FROM affected WHERE ecosystem = ?1 ORDER BY release",
            )
            .map_err(self.qerr())?;
        st.query_map([family], |r| r.get(0))
            .and_then(|rows| rows.collect())
            .map_err(self.qerr())
    }

    /// Every record affecting `package` under `key`, ordered by advisory id. The name is
    /// normalized as the DB stores it (PEP 503 for PyPI), so callers may pass it as found.
    pub fn affected(&self, key: &FeedKey, package: &str) -> Result<Vec<Affected>, DbError> {
        let package = normalize_package(key, package);
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT advisory_id, source, status, ranges, versions, fixed, urgency,
                        informational, ecosystem_specific, database_specific
                 FROM affected WHERE ecosystem = ?1 AND release = ?2 AND package = ?3
                 ORDER BY advisory_id, rowid",
            )
            .map_err(self.qerr())?;
        type Row = (
            String,
            String,
            String,
            String,
            String,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let rows: Vec<Row> = st
            .query_map(params![key.ecosystem, key.release, package], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                ))
            })
            .and_then(|rows| rows.collect())
            .map_err(self.qerr())?;
        let mut out = Vec::with_capacity(rows.len());
        for (id, source, status, ranges, versions, fixed, urgency, info, es, ds) in rows {
            let status = Status::parse(&status).ok_or_else(|| DbError::Corrupt {
                path: self.path.clone(),
                what: "status",
                id: id.clone(),
                source: serde::de::Error::custom(format!("unknown status `{status}`")),
            })?;
            out.push(Affected {
                ranges: self.json("ranges", &id, &ranges)?,
                versions: self.json("versions", &id, &versions)?,
                fixed: self.json("fixed", &id, &fixed)?,
                ecosystem_specific: es
                    .map(|s| self.json("ecosystem_specific", &id, &s))
                    .transpose()?,
                database_specific: ds
                    .map(|s| self.json("database_specific", &id, &s))
                    .transpose()?,
                informational: info.as_deref().map(Informational::parse),
                advisory_id: id,
                source,
                key: key.clone(),
                package: package.clone(),
                status,
                urgency,
            });
        }
        Ok(out)
    }

    /// The advisory `id` (as stored, not resolved through aliases). Fields the record lacks
    /// (summary, dates, severities, CWEs) are filled from NVD when `id` is a CVE NVD knows; a CVE
    /// only NVD knows comes back with source `nvd`.
    pub fn advisory(&self, id: &str) -> Result<Option<Advisory>, DbError> {
        let row = self
            .conn
            .prepare_cached(
                "SELECT source, summary, details, published, modified, informational, aliases,
                        severities, refs, cwes
                 FROM advisory WHERE id = ?1",
            )
            .and_then(|mut st| {
                st.query_row([id], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, Option<String>>(4)?,
                        r.get::<_, Option<String>>(5)?,
                        r.get::<_, String>(6)?,
                        r.get::<_, String>(7)?,
                        r.get::<_, String>(8)?,
                        r.get::<_, String>(9)?,
                    ))
                })
                .optional()
            })
            .map_err(self.qerr())?;
        let nvd = self.nvd(id)?;
        let Some((source, summary, details, published, modified, info, aliases, sev, refs, cwes)) =
            row
        else {
            return Ok(nvd);
        };
        let mut a = Advisory {
            id: id.to_string(),
            source,
            aliases: self.json("aliases", id, &aliases)?,
            summary,
            details,
            severities: self.json("severities", id, &sev)?,
            references: self.json("references", id, &refs)?,
            published,
            modified,
            cwes: self.json("cwes", id, &cwes)?,
            informational: info.as_deref().map(Informational::parse),
        };
        if let Some(n) = nvd {
            if a.details.is_none() {
                a.details = n.details;
            }
            if a.published.is_none() {
                a.published = n.published;
                a.modified = n.modified;
            }
            if a.severities.is_empty() {
                a.severities = n.severities;
            }
            if a.cwes.is_empty() {
                a.cwes = n.cwes;
            }
            if a.references.is_empty() {
                a.references = n.references;
            }
        }
        Ok(Some(a))
    }

    /// NVD's record for `cve`: description, dates, CWEs and every CVSS vector with its source.
    pub fn nvd(&self, cve: &str) -> Result<Option<Advisory>, DbError> {
        let row = self
            .conn
            .prepare_cached(
                "SELECT published, modified, description, severities, cwes, refs
                 FROM nvd WHERE cve = ?1",
            )
            .and_then(|mut st| {
                st.query_row([cve], |r| {
                    Ok((
                        r.get::<_, Option<String>>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                    ))
                })
                .optional()
            })
            .map_err(self.qerr())?;
        let Some((published, modified, description, sev, cwes, refs)) = row else {
            return Ok(None);
        };
        let mut a = Advisory::bare(cve.to_string(), "nvd", Vec::new());
        a.published = published;
        a.modified = modified;
        a.details = description;
        a.severities = self.json("severities", cve, &sev)?;
        sort_severities(&mut a.severities);
        a.cwes = self.json("cwes", cve, &cwes)?;
        a.references = self.json("references", cve, &refs)?;
        Ok(Some(a))
    }

    /// NVD's CVSS vectors for `cve` (v4, v3.x, v2; primary source first), for records whose
    /// feed states no severity. Empty when NVD has none.
    pub fn cvss_for(&self, cve: &str) -> Result<Vec<Severity>, DbError> {
        Ok(self.nvd(cve)?.map(|a| a.severities).unwrap_or_default())
    }

    /// The alias group of `id`: the id a finding is reported under and every id of the same
    /// vulnerability. An id without aliases is its own group of one.
    pub fn aliases(&self, id: &str) -> Result<AliasGroup, DbError> {
        let canonical: Option<String> = self
            .conn
            .prepare_cached("SELECT canonical FROM alias WHERE id = ?1")
            .and_then(|mut st| st.query_row([id], |r| r.get(0)).optional())
            .map_err(self.qerr())?;
        let Some(canonical) = canonical else {
            return Ok(AliasGroup {
                canonical: id.to_string(),
                ids: vec![id.to_string()],
            });
        };
        let ids: Vec<String> = self
            .conn
            .prepare_cached("SELECT id FROM alias WHERE canonical = ?1 ORDER BY id")
            .and_then(|mut st| {
                st.query_map([&canonical], |r| r.get(0))
                    .and_then(|rows| rows.collect())
            })
            .map_err(self.qerr())?;
        Ok(AliasGroup { canonical, ids })
    }
}

#[cfg(test)]
mod tests {
    use super::immutable_uri;
    use std::path::Path;

    #[test]
    fn uri_escapes_what_a_uri_would_misread() {
        assert_eq!(
            immutable_uri(Path::new("/var/cache/drydock/db/drydock.db")),
            "file:/var/cache/drydock/db/drydock.db?immutable=1"
        );
        assert_eq!(
            immutable_uri(Path::new("/tmp/a b?c#d%e/é.db")),
            "file:/tmp/a%20b%3Fc%23d%25e/%C3%A9.db?immutable=1"
        );
        assert!(immutable_uri(Path::new("rel/x.db")).starts_with("file:/"));
    }
}
