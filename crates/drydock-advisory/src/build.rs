//! Building the DB from feeds: read every feed into a fresh SQLite file beside the target, then
//! rename it into place, so readers see the old DB or the new one, never a partial one.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use crate::error::DbError;
use crate::feed::{self, Layout, Record, Sink, Skip, SkipReason};
use crate::model::{Advisory, Severity};
use crate::schema::{INDEXES, SCHEMA_VERSION, TABLES};

/// What one source contributed, and what it left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceStats {
    /// Records stored (OSV records, secdb secfix entries, Debian package×CVE entries, NVD CVEs).
    pub records: u64,
    /// Affected-package rows stored.
    pub affected: u64,
    /// Skips by reason (records, files or record parts; see [`SkipReason`]).
    pub skipped: BTreeMap<SkipReason, u64>,
    /// The newest timestamp the feed states (newest record `modified`, NVD page `timestamp`,
    /// else the file's modification time).
    pub feed_time: Option<String>,
}

/// What a build did.
#[derive(Debug, Clone)]
pub struct BuildReport {
    pub path: PathBuf,
    /// By source name (`osv:crates.io`, `alpine-secdb`, `debian`, `nvd`).
    pub sources: BTreeMap<String, SourceStats>,
    /// Every skip that deserves a warning (malformed input), in feed order.
    pub warnings: Vec<Skip>,
    pub size_bytes: u64,
    pub elapsed: Duration,
}

/// Builds the DB at `target` from the feeds under each of `bases` (see [`Layout::detect`]).
/// The new file is written beside `target` and renamed over it when complete.
pub fn build(bases: &[PathBuf], target: &Path) -> Result<BuildReport, DbError> {
    let start = Instant::now();
    let mut layouts = Vec::new();
    for base in bases {
        let layout = Layout::detect(base);
        if layout.is_empty() {
            return Err(DbError::NoFeeds { path: base.clone() });
        }
        layouts.push(layout);
    }
    let dir = parent_dir(target);
    std::fs::create_dir_all(&dir).map_err(|source| DbError::Io {
        path: dir.clone(),
        source,
    })?;
    let _lock = lock(target)?;
    remove_stale_temps(target);
    let tmp = temp_path(target);
    let result = write(&layouts, &tmp).and_then(|(sources, warnings)| {
        commit(&tmp, target)?;
        Ok((sources, warnings))
    });
    let (sources, warnings) = match result {
        Ok(r) => r,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    let size_bytes = std::fs::metadata(target).map(|m| m.len()).unwrap_or(0);
    Ok(BuildReport {
        path: target.to_path_buf(),
        sources,
        warnings,
        size_bytes,
        elapsed: start.elapsed(),
    })
}

type Built = (BTreeMap<String, SourceStats>, Vec<Skip>);

fn write(layouts: &[Layout], tmp: &Path) -> Result<Built, DbError> {
    let werr = |source| DbError::Write {
        path: tmp.to_path_buf(),
        source,
    };
    let mut conn = Connection::open(tmp).map_err(werr)?;
    conn.execute_batch(
        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA page_size = 8192;",
    )
    .map_err(werr)?;
    conn.execute_batch(TABLES).map_err(werr)?;
    let tx = conn.transaction().map_err(werr)?;
    let mut writer = Writer {
        tx: &tx,
        sources: BTreeMap::new(),
        warnings: Vec::new(),
        osv_ids: HashSet::new(),
        aliases: AliasSets::default(),
        error: None,
    };
    // OSV first: its advisory rows carry the most detail, and later sources only add rows for
    // ids not seen yet.
    for l in layouts {
        for (source, path) in &l.osv_zips {
            feed::osv::read_zip(source, path, &mut writer);
        }
        for (source, path) in &l.osv_dirs {
            feed::osv::read_dir(source, path, &mut writer);
        }
    }
    for l in layouts {
        for p in &l.debian {
            feed::debian::read(p, &mut writer);
        }
    }
    for l in layouts {
        for p in &l.secdb {
            feed::secdb::read(p, &mut writer);
        }
    }
    for l in layouts {
        for p in &l.nvd {
            feed::nvd::read(p, &mut writer);
        }
    }
    if let Some(e) = writer.error.take() {
        return Err(werr(e));
    }
    writer.write_aliases().map_err(werr)?;
    let Writer {
        sources, warnings, ..
    } = writer;
    write_meta(&tx, &sources).map_err(werr)?;
    tx.execute_batch(INDEXES).map_err(werr)?;
    tx.commit().map_err(werr)?;
    conn.execute_batch("PRAGMA optimize; ANALYZE;")
        .map_err(werr)?;
    conn.close().map_err(|(_, e)| werr(e))?;
    Ok((sources, warnings))
}

fn write_meta(tx: &Connection, sources: &BTreeMap<String, SourceStats>) -> rusqlite::Result<()> {
    let now = SystemTime::now();
    let secs = now
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs();
    let json = serde_json::to_string(sources).expect("source stats serialize to JSON");
    let mut st = tx.prepare("INSERT INTO meta (key, value) VALUES (?1, ?2)")?;
    st.execute(params!["schema_version", SCHEMA_VERSION.to_string()])?;
    st.execute(params!["built_at", secs.to_string()])?;
    st.execute(params!["drydock_version", env!("CARGO_PKG_VERSION")])?;
    st.execute(params!["sources", json])?;
    Ok(())
}

/// Receives records from the feed readers and inserts them.
struct Writer<'a> {
    tx: &'a rusqlite::Transaction<'a>,
    sources: BTreeMap<String, SourceStats>,
    warnings: Vec<Skip>,
    /// OSV ids already stored: a record listed in two ecosystems' zips is stored once.
    osv_ids: HashSet<String>,
    aliases: AliasSets,
    /// The first SQLite error; reading goes on but the build fails.
    error: Option<rusqlite::Error>,
}

impl Writer<'_> {
    fn insert(&mut self, record: &Record) -> rusqlite::Result<()> {
        let a = &record.advisory;
        let mut st = self.tx.prepare_cached(
            "INSERT OR IGNORE INTO advisory (id, source, summary, details, published, modified,
                 informational, aliases, severities, refs, cwes)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?;
        st.execute(params![
            a.id,
            a.source,
            a.summary,
            a.details,
            a.published,
            a.modified,
            a.informational.as_ref().map(|i| i.as_str()),
            to_json(&a.aliases),
            to_json(&a.severities),
            to_json(&a.references),
            to_json(&a.cwes),
        ])?;
        let mut st = self.tx.prepare_cached(
            "INSERT INTO affected (advisory_id, source, ecosystem, release, package, status,
                 ranges, versions, fixed, urgency, informational, ecosystem_specific,
                 database_specific)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?;
        for f in &record.affected {
            st.execute(params![
                f.advisory_id,
                f.source,
                f.key.ecosystem,
                f.key.release,
                f.package,
                f.status.as_str(),
                to_json(&f.ranges),
                to_json(&f.versions),
                to_json(&f.fixed),
                f.urgency,
                f.informational.as_ref().map(|i| i.as_str()),
                f.ecosystem_specific.as_ref().map(to_json),
                f.database_specific.as_ref().map(to_json),
            ])?;
        }
        Ok(())
    }

    fn insert_nvd(&mut self, a: &Advisory) -> rusqlite::Result<()> {
        let mut st = self.tx.prepare_cached(
            "INSERT OR REPLACE INTO nvd (cve, published, modified, description, severities, cwes, refs)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        st.execute(params![
            a.id,
            a.published,
            a.modified,
            a.details,
            to_json(&a.severities),
            to_json(&a.cwes),
            to_json(&a.references),
        ])?;
        Ok(())
    }

    fn write_aliases(&mut self) -> rusqlite::Result<()> {
        let mut st = self
            .tx
            .prepare_cached("INSERT OR REPLACE INTO alias (id, canonical) VALUES (?1, ?2)")?;
        for group in self.aliases.groups() {
            let canonical = canonical(&group);
            for id in &group {
                st.execute(params![id, canonical])?;
            }
        }
        Ok(())
    }

    fn stats(&mut self, source: &str) -> &mut SourceStats {
        if !self.sources.contains_key(source) {
            self.sources
                .insert(source.to_string(), SourceStats::default());
        }
        self.sources.get_mut(source).expect("inserted just above")
    }

    fn fail(&mut self, e: rusqlite::Error) {
        if self.error.is_none() {
            self.error = Some(e);
        }
    }
}

impl Sink for Writer<'_> {
    fn record(&mut self, source: &str, record: Record) {
        let n_affected = record.affected.len() as u64;
        let is_osv = source.starts_with("osv:");
        let duplicate = is_osv && !self.osv_ids.insert(record.advisory.id.clone());
        if !duplicate {
            if let Err(e) = self.insert(&record) {
                self.fail(e);
            }
            let mut ids = vec![record.advisory.id.clone()];
            ids.extend(record.advisory.aliases.iter().cloned());
            self.aliases.union(&ids);
        }
        let s = self.stats(source);
        s.records += 1;
        if !duplicate {
            s.affected += n_affected;
        }
    }

    fn nvd(&mut self, advisory: Advisory) {
        if let Err(e) = self.insert_nvd(&advisory) {
            self.fail(e);
        }
        self.stats("nvd").records += 1;
    }

    fn skip(&mut self, skip: Skip) {
        *self
            .stats(&skip.source)
            .skipped
            .entry(skip.reason)
            .or_default() += skip.count;
        if skip.reason.is_warning() {
            // Returned in the report: the caller decides how to show them.
            tracing::debug!("{skip}");
            self.warnings.push(skip);
        } else {
            tracing::debug!("{skip}");
        }
    }

    fn feed_time(&mut self, source: &str, time: &str) {
        let s = self.stats(source);
        if s.feed_time.as_deref().is_none_or(|t| t < time) {
            s.feed_time = Some(time.to_string());
        }
    }
}

fn to_json<T: Serialize + ?Sized>(v: &T) -> String {
    serde_json::to_string(v).expect("model types serialize to JSON")
}

/// Union-find over ids: records that name each other as aliases form one group.
#[derive(Debug, Default)]
struct AliasSets {
    index: HashMap<String, usize>,
    parent: Vec<usize>,
}

impl AliasSets {
    fn id(&mut self, id: &str) -> usize {
        if let Some(&i) = self.index.get(id) {
            return i;
        }
        let i = self.parent.len();
        self.parent.push(i);
        self.index.insert(id.to_string(), i);
        i
    }

    fn root(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    fn union(&mut self, ids: &[String]) {
        let mut ids = ids.iter().map(|s| s.trim()).filter(|s| !s.is_empty());
        let Some(first) = ids.next() else { return };
        let first = self.id(first);
        for other in ids {
            let other = self.id(other);
            let (a, b) = (self.root(first), self.root(other));
            if a != b {
                self.parent[b] = a;
            }
        }
    }

    /// Groups of two ids or more, each sorted.
    fn groups(&mut self) -> Vec<Vec<String>> {
        let mut by_root: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        let ids: Vec<(String, usize)> = self.index.iter().map(|(k, v)| (k.clone(), *v)).collect();
        for (id, i) in ids {
            let r = self.root(i);
            by_root.entry(r).or_default().push(id);
        }
        let mut groups: Vec<Vec<String>> = by_root
            .into_values()
            .filter(|g| g.len() > 1)
            .map(|mut g| {
                g.sort();
                g
            })
            .collect();
        groups.sort();
        groups
    }
}

/// The id a group is reported under: the lowest CVE, else the lowest GHSA, else the lowest id.
pub(crate) fn canonical(group: &[String]) -> String {
    let pick = |prefix: &str| {
        group
            .iter()
            .filter(|i| i.starts_with(prefix))
            .min()
            .cloned()
    };
    pick("CVE-")
        .or_else(|| pick("GHSA-"))
        .or_else(|| group.iter().min().cloned())
        .unwrap_or_default()
}

/// Severities of NVD for a CVE, in a stable order: CVSS v4, v3, v2; primary sources first.
pub(crate) fn sort_severities(s: &mut [Severity]) {
    s.sort_by(|a, b| {
        b.kind
            .cmp(&a.kind)
            .then_with(|| b.primary.cmp(&a.primary))
            .then_with(|| a.source.cmp(&b.source))
    });
}

pub(crate) fn parent_dir(target: &Path) -> PathBuf {
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// An exclusive lock beside the DB for the time of a build or update; the OS releases it when
/// the process ends, however it ends.
pub(crate) fn lock(target: &Path) -> Result<std::fs::File, DbError> {
    let path = sibling(target, ".lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|source| DbError::Io {
            path: path.clone(),
            source,
        })?;
    file.lock().map_err(|source| DbError::Io { path, source })?;
    Ok(file)
}

/// `.<name><suffix>` beside `target`.
pub(crate) fn sibling(target: &Path, suffix: &str) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "drydock.db".into());
    parent_dir(target).join(format!(".{name}{suffix}"))
}

fn temp_path(target: &Path) -> PathBuf {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .subsec_nanos();
    sibling(target, &format!(".{}.{nanos}.tmp", std::process::id()))
}

/// Temp files of builds that were killed. Called with the lock held, so none is in use.
fn remove_stale_temps(target: &Path) {
    let prefix = sibling(target, ".")
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Ok(rd) = std::fs::read_dir(parent_dir(target)) else {
        return;
    };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with(&prefix) && name.ends_with(".tmp") {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Makes `tmp` durable and renames it over `target`, then syncs the directory so the rename
/// survives a crash.
fn commit(tmp: &Path, target: &Path) -> Result<(), DbError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| DbError::Io { path, source }
    };
    std::fs::File::open(tmp)
        .and_then(|f| f.sync_all())
        .map_err(io(tmp))?;
    std::fs::rename(tmp, target).map_err(io(target))?;
    if let Ok(d) = std::fs::File::open(parent_dir(target)) {
        let _ = d.sync_all();
    }
    Ok(())
}
