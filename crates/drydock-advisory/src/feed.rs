//! Feed readers. Each reader walks one upstream layout and pushes what it reads into a
//! [`Sink`]; bad input becomes a [`Skip`] naming the file or record, never an error that stops
//! the build.

pub(crate) mod debian;
pub(crate) mod nvd;
pub(crate) mod osv;
pub(crate) mod secdb;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::model::{Advisory, Affected};

/// One record read from a feed, ready to store.
#[derive(Debug)]
pub(crate) struct Record {
    pub advisory: Advisory,
    pub affected: Vec<Affected>,
}

/// Where feed readers put what they read (the DB builder; a vector in tests).
pub(crate) trait Sink {
    /// A record of `source` was read.
    fn record(&mut self, source: &str, record: Record);
    /// An NVD CVE record (enrichment only: severities, CWEs, description).
    fn nvd(&mut self, advisory: Advisory);
    /// Something was left out; [`SkipReason::is_warning`] says whether it deserves a warning.
    fn skip(&mut self, skip: Skip);
    /// The newest timestamp a feed states (record `modified`, page `timestamp`, file mtime).
    fn feed_time(&mut self, source: &str, time: &str);
}

/// Why part of a feed was not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum SkipReason {
    /// OSV `withdrawn`: the record was retracted.
    Withdrawn,
    /// NVD `vulnStatus: Rejected`.
    Rejected,
    /// An OSV `GIT` range (commit hashes, not versions); the rest of the record is kept.
    GitRange,
    /// An OSV `affected` entry without a package (only GIT data); the rest is kept.
    NoPackage,
    /// A range type other than ECOSYSTEM, SEMVER or GIT: the record is skipped.
    UnknownRangeType,
    /// A version its ecosystem's scheme rejects: the record is skipped.
    InvalidVersion,
    /// JSON that does not parse or lacks required fields.
    Malformed,
    /// A zip archive that cannot be read (or one of its entries).
    CorruptArchive,
    /// A file that cannot be read.
    Unreadable,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Withdrawn => "withdrawn",
            SkipReason::Rejected => "rejected",
            SkipReason::GitRange => "git-range",
            SkipReason::NoPackage => "no-package",
            SkipReason::UnknownRangeType => "unknown-range-type",
            SkipReason::InvalidVersion => "invalid-version",
            SkipReason::Malformed => "malformed",
            SkipReason::CorruptArchive => "corrupt-archive",
            SkipReason::Unreadable => "unreadable",
        }
    }

    /// Withdrawn and rejected records, and GIT ranges, are expected: counted, not warned about.
    pub fn is_warning(self) -> bool {
        !matches!(
            self,
            SkipReason::Withdrawn
                | SkipReason::Rejected
                | SkipReason::GitRange
                | SkipReason::NoPackage
        )
    }

    /// Whether this skip drops a whole record (or file), as opposed to a part of a record.
    pub fn drops_record(self) -> bool {
        !matches!(self, SkipReason::GitRange | SkipReason::NoPackage)
    }
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something left out of the DB, and where it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skip {
    /// The source (`osv:PyPI`, `alpine-secdb`, …).
    pub source: String,
    /// The file, and the entry or record within it (`…/all.zip!GHSA-xxxx.json`, `… GO-2023-1`).
    pub location: String,
    pub reason: SkipReason,
    /// What exactly was wrong, values in backticks.
    pub detail: String,
    /// How many records (or record parts, for GIT ranges) this one skip stands for: a secdb
    /// version that does not parse drops every id listed under it.
    pub count: u64,
}

impl std::fmt::Display for Skip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: skipped `{}` ({}): {}",
            self.source, self.location, self.reason, self.detail
        )
    }
}

/// The feeds found under one `--feeds` base.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Layout {
    /// OSV `all.zip` files and single OSV JSON files, with the source name for each.
    pub osv_zips: Vec<(String, PathBuf)>,
    /// Directories of OSV JSON files.
    pub osv_dirs: Vec<(String, PathBuf)>,
    pub secdb: Vec<PathBuf>,
    pub debian: Vec<PathBuf>,
    pub nvd: Vec<PathBuf>,
}

impl Layout {
    pub fn is_empty(&self) -> bool {
        self.osv_zips.is_empty()
            && self.osv_dirs.is_empty()
            && self.secdb.is_empty()
            && self.debian.is_empty()
            && self.nvd.is_empty()
    }

    /// Finds the feeds under `base`: a directory holding `osv/`, `alpine-secdb/` (or
    /// `wolfi-secdb/`, `chainguard-secdb/`), `debian/`, `nvd/`, or a base that is itself one of
    /// those, or a single feed file.
    pub fn detect(base: &Path) -> Layout {
        let mut layout = Layout::default();
        if base.is_file() {
            layout.add_file(base);
            return layout;
        }
        let mut found_sub = false;
        for (name, kind) in [
            ("osv", Kind::Osv),
            ("alpine-secdb", Kind::Secdb),
            ("wolfi-secdb", Kind::Secdb),
            ("chainguard-secdb", Kind::Secdb),
            ("debian", Kind::Debian),
            ("nvd", Kind::Nvd),
        ] {
            let dir = base.join(name);
            if dir.is_dir() {
                found_sub = true;
                layout.add_dir(&dir, kind);
            }
        }
        if !found_sub && base.is_dir() {
            let kind = Kind::sniff_dir(base);
            if let Some(kind) = kind {
                layout.add_dir(base, kind);
            }
        }
        layout
    }

    fn add_file(&mut self, file: &Path) {
        let name = file_name(file);
        if name.ends_with(".zip") {
            let eco = file
                .parent()
                .map(file_name)
                .unwrap_or_else(|| "unknown".into());
            self.osv_zips
                .push((format!("osv:{eco}"), file.to_path_buf()));
            return;
        }
        match sniff_json(file) {
            Some(Kind::Nvd) => self.nvd.push(file.to_path_buf()),
            Some(Kind::Secdb) => self.secdb.push(file.to_path_buf()),
            Some(Kind::Osv) => {
                let dir = file.parent().map(file_name).unwrap_or_default();
                self.osv_zips
                    .push((format!("osv:{dir}"), file.to_path_buf()));
            }
            _ => self.debian.push(file.to_path_buf()),
        }
    }

    fn add_dir(&mut self, dir: &Path, kind: Kind) {
        match kind {
            Kind::Osv => osv::find(dir, self),
            Kind::Secdb => {
                for f in files_under(dir, 2) {
                    if file_name(&f).ends_with(".json") {
                        self.secdb.push(f);
                    }
                }
            }
            Kind::Debian => {
                for f in files_under(dir, 1) {
                    let n = file_name(&f);
                    if n == "json" || n.ends_with(".json") {
                        self.debian.push(f);
                    }
                }
            }
            Kind::Nvd => {
                for f in files_under(dir, 1) {
                    if file_name(&f).ends_with(".json") {
                        self.nvd.push(f);
                    }
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Osv,
    Secdb,
    Debian,
    Nvd,
}

impl Kind {
    fn sniff_dir(dir: &Path) -> Option<Kind> {
        let name = file_name(dir);
        match name.as_str() {
            "osv" => return Some(Kind::Osv),
            "debian" => return Some(Kind::Debian),
            "nvd" => return Some(Kind::Nvd),
            n if n.ends_with("secdb") => return Some(Kind::Secdb),
            _ => {}
        }
        if dir.join("ecosystems.txt").is_file() {
            return Some(Kind::Osv);
        }
        let files = files_under(dir, 2);
        if files.iter().any(|f| file_name(f) == "all.zip") {
            return Some(Kind::Osv);
        }
        files
            .iter()
            .find(|f| file_name(f).ends_with(".json"))
            .and_then(|f| sniff_json(f))
    }
}

/// Looks at the first bytes of a JSON file to tell the feed apart.
fn sniff_json(file: &Path) -> Option<Kind> {
    use std::io::Read;
    let mut head = vec![0u8; 4096];
    let n = std::fs::File::open(file)
        .and_then(|mut f| f.read(&mut head))
        .ok()?;
    let head = String::from_utf8_lossy(&head[..n]);
    if head.contains("\"vulnerabilities\"") || head.contains("\"NVD_CVE\"") {
        Some(Kind::Nvd)
    } else if head.contains("\"distroversion\"") || head.contains("\"secfixes\"") {
        Some(Kind::Secdb)
    } else if head.contains("\"affected\"") || head.contains("\"modified\"") {
        Some(Kind::Osv)
    } else {
        Some(Kind::Debian)
    }
}

pub(crate) fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Regular files under `dir`, `depth` levels deep at most, sorted (deterministic builds).
pub(crate) fn files_under(dir: &Path, depth: usize) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            if depth > 1 {
                out.extend(files_under(&p, depth - 1));
            }
        } else if p.is_file() {
            out.push(p);
        }
    }
    out
}

/// The file's modification time as RFC 3339, for feeds that carry no timestamp of their own.
pub(crate) fn mtime(path: &Path) -> Option<String> {
    let t = std::fs::metadata(path).ok()?.modified().ok()?;
    Some(crate::time::rfc3339(t))
}

/// The readers on bytes, for the fuzz target in `fuzz/`: each must return, never panic. What
/// they read is serialized as the DB builder would store it, and every skip formatted.
#[doc(hidden)]
pub mod fuzz_entry_points {
    use std::path::Path;

    use super::{Record, Sink, Skip};
    use crate::model::Advisory;

    /// Counts what a reader produced, after serializing it the way the DB builder does.
    #[derive(Debug, Default)]
    pub struct Counts {
        pub records: usize,
        pub skips: usize,
    }

    impl Sink for Counts {
        fn record(&mut self, _source: &str, record: Record) {
            serde_json::to_string(&record.advisory).expect("model types serialize to JSON");
            serde_json::to_string(&record.affected).expect("model types serialize to JSON");
            self.records += 1;
        }

        fn nvd(&mut self, advisory: Advisory) {
            serde_json::to_string(&advisory).expect("model types serialize to JSON");
            self.records += 1;
        }

        fn skip(&mut self, skip: Skip) {
            let _ = skip.to_string();
            self.skips += 1;
        }

        fn feed_time(&mut self, _source: &str, _time: &str) {}
    }

    /// One OSV JSON record.
    pub fn osv_record(data: &[u8]) -> Counts {
        let mut sink = Counts::default();
        super::osv::read_record("osv:fuzz", "fuzz.json", data, &mut sink);
        sink
    }

    /// An OSV `all.zip` archive and every record in it.
    pub fn osv_zip(data: &[u8]) -> Counts {
        let mut sink = Counts::default();
        super::osv::read_archive("osv:fuzz", "all.zip", std::io::Cursor::new(data), &mut sink);
        sink
    }

    /// An Alpine secdb document.
    pub fn secdb(data: &[u8]) -> Counts {
        let mut sink = Counts::default();
        let path = Path::new("alpine-secdb/v3.20/main.json");
        super::secdb::read_bytes(path, data, None, &mut sink);
        sink
    }

    /// The Debian security tracker JSON, read as a stream.
    pub fn debian(data: &[u8]) -> Counts {
        let mut sink = Counts::default();
        super::debian::read_from("json", data, &mut sink);
        sink
    }

    /// One NVD CVE API 2.0 page.
    pub fn nvd(data: &[u8]) -> Counts {
        let mut sink = Counts::default();
        super::nvd::read_bytes("cves.json", data, &mut sink);
        sink
    }
}

#[cfg(test)]
mod tests {
    use super::fuzz_entry_points as fuzzing;

    /// The fuzz target's entry points read real feeds from bytes as the path readers do.
    #[test]
    fn fuzz_entry_points_read_real_feeds() {
        let shared = std::env::var_os("DRYDOCK_SHARED").map_or_else(
            || std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
            std::path::PathBuf::from,
        );
        let feeds = shared.join("data/advisories");
        let read = |rel: &str| std::fs::read(feeds.join(rel)).expect("reads the shared feed");
        let secdb = fuzzing::secdb(&read("alpine-secdb/v3.5/community.json"));
        assert!(secdb.records > 0 && secdb.skips == 0, "{secdb:?}");
        let nvd = fuzzing::nvd(&read("nvd/cves-0001.json"));
        assert_eq!(nvd.records, 141, "{nvd:?}");
        let osv = fuzzing::osv_zip(&read("osv/crates.io/all.zip"));
        assert!(osv.records > 1000, "{osv:?}");
        let garbage = fuzzing::osv_record(b"{");
        assert_eq!((garbage.records, garbage.skips), (0, 1));
    }
}
