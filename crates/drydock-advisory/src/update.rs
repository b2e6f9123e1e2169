//! `drydock db update`: fetch the feeds (upstream or a mirror laid out like upstream) into a
//! cache directory beside the DB, with conditional requests and retries, then build.
//!
//! Every downloaded file is written to a temp file and renamed into place, and the DB is built
//! the same way, so a process killed at any point leaves the previous files, and the previous
//! DB, intact.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::{Deserialize, Serialize};

use crate::build::{BuildReport, build, lock, parent_dir};
use crate::error::FetchError;

/// The OSV bucket: `<base>ecosystems.txt`, `<base><ecosystem>/all.zip`.
pub const OSV_BASE: &str = "https://osv-vulnerabilities.storage.googleapis.com/";
/// Alpine secdb: `<base>vX.Y/main.json`, `<base>vX.Y/community.json`.
pub const SECDB_BASE: &str = "https://secdb.alpinelinux.org/";
/// The Debian security tracker's JSON export.
pub const DEBIAN_URL: &str = "https://security-tracker.debian.org/tracker/data/json";
/// The NVD CVE API 2.0.
pub const NVD_API: &str = "https://services.nvd.nist.gov/rest/json/cves/2.0";
const NVD_PAGE: u64 = 2000;

/// Alpine releases whose secdb is fetched (a missing one is skipped).
pub const ALPINE_RELEASES: &[&str] = &[
    "v3.2", "v3.3", "v3.4", "v3.5", "v3.6", "v3.7", "v3.8", "v3.9", "v3.10", "v3.11", "v3.12",
    "v3.13", "v3.14", "v3.15", "v3.16", "v3.17", "v3.18", "v3.19", "v3.20", "v3.21", "v3.22",
    "edge",
];

/// Where feeds come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upstream {
    /// The upstream default URLs above.
    Default,
    /// One base URL laid out like `shared/data/advisories`: `osv/ecosystems.txt`,
    /// `osv/<eco>/all.zip`, `alpine-secdb/vX.Y/{main,community}.json`, `debian/json`,
    /// `nvd/cves-0001.json`, ….
    Mirror(String),
}

#[derive(Debug, Clone)]
pub struct UpdateOptions {
    pub db: PathBuf,
    pub upstream: Upstream,
    /// Fetch NVD (upstream, the full API is ~150 pages at 5 requests per 30 s without
    /// `NVD_API_KEY`).
    pub nvd: bool,
    /// Attempts per request on 429, 5xx and transport errors.
    pub attempts: u32,
    /// A progress bar on stderr (never drawn when stderr is not a terminal).
    pub progress: bool,
}

impl UpdateOptions {
    pub fn new(db: PathBuf, upstream: Upstream) -> UpdateOptions {
        UpdateOptions {
            db,
            upstream,
            nvd: true,
            attempts: 5,
            progress: true,
        }
    }
}

/// What the fetch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchReport {
    /// Files whose body was downloaded (paths relative to the feed cache).
    pub downloaded: Vec<String>,
    /// Files the server said were unchanged (304).
    pub not_modified: Vec<String>,
    /// Files the server does not have (404/410), e.g. secdb releases it does not carry.
    pub missing: Vec<String>,
    pub bytes: u64,
}

#[derive(Debug)]
pub struct UpdateReport {
    pub feeds_dir: PathBuf,
    pub fetch: FetchReport,
    pub build: BuildReport,
}

/// Where fetched feeds are cached for a DB: `feeds/` beside it.
pub fn feeds_dir(db: &Path) -> PathBuf {
    parent_dir(db).join("feeds")
}

/// Fetches every feed into [`feeds_dir`], then builds the DB from it.
pub fn update(opts: &UpdateOptions) -> Result<UpdateReport, FetchError> {
    let dir = feeds_dir(&opts.db);
    let fetch = fetch(&opts.upstream, &dir, opts)?;
    let build = build(std::slice::from_ref(&dir), &opts.db)?;
    Ok(UpdateReport {
        feeds_dir: dir,
        fetch,
        build,
    })
}

/// Fetches the feeds of `upstream` into `dir`, laid out like a mirror.
pub fn fetch(
    upstream: &Upstream,
    dir: &Path,
    opts: &UpdateOptions,
) -> Result<FetchReport, FetchError> {
    std::fs::create_dir_all(dir).map_err(|source| FetchError::Io {
        url: String::new(),
        path: dir.to_path_buf(),
        source,
    })?;
    let _lock = lock(&dir.join("cache"))?;
    remove_temps(dir);
    let mut f = Fetcher::new(dir, opts);
    let result = f.fetch_all(upstream, opts.nvd);
    f.bar.finish_and_clear();
    result?;
    Ok(f.report)
}

/// Per-URL validators from the last download, so the next request can be conditional.
#[derive(Debug, Default, Serialize, Deserialize)]
struct HttpCache {
    entries: BTreeMap<String, CacheEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct CacheEntry {
    file: String,
    etag: Option<String>,
    last_modified: Option<String>,
}

const CACHE_FILE: &str = "http-cache.json";

struct Fetcher<'a> {
    dir: &'a Path,
    agent: ureq::Agent,
    cache: HttpCache,
    attempts: u32,
    bar: ProgressBar,
    report: FetchReport,
    /// Set once any request got an answer; transport errors before that mean "offline".
    reached: bool,
}

enum Outcome {
    Downloaded,
    NotModified,
    Missing,
}

impl<'a> Fetcher<'a> {
    fn new(dir: &'a Path, opts: &UpdateOptions) -> Fetcher<'a> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(15)))
            .timeout_recv_response(Some(Duration::from_secs(60)))
            .timeout_recv_body(Some(Duration::from_secs(600)))
            .user_agent(concat!("drydock/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        let cache = std::fs::read(dir.join(CACHE_FILE))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        let bar = if opts.progress && std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{msg:40!} {bar:30} {bytes:>10}/{total_bytes:10} {bytes_per_sec}",
                )
                .expect("template is valid"),
            );
            bar
        } else {
            ProgressBar::hidden()
        };
        Fetcher {
            dir,
            agent,
            cache,
            attempts: opts.attempts.max(1),
            bar,
            report: FetchReport::default(),
            reached: false,
        }
    }

    fn fetch_all(&mut self, upstream: &Upstream, nvd: bool) -> Result<(), FetchError> {
        let (osv, secdb, debian, nvd_base) = match upstream {
            Upstream::Default => (
                OSV_BASE.to_string(),
                SECDB_BASE.to_string(),
                DEBIAN_URL.to_string(),
                None,
            ),
            Upstream::Mirror(m) => {
                let m = if m.ends_with('/') {
                    m.clone()
                } else {
                    format!("{m}/")
                };
                if !(m.starts_with("http://") || m.starts_with("https://")) {
                    return Err(FetchError::BadUrl { url: m });
                }
                (
                    format!("{m}osv/"),
                    format!("{m}alpine-secdb/"),
                    format!("{m}debian/json"),
                    Some(format!("{m}nvd/")),
                )
            }
        };
        // OSV: the list, then one zip per ecosystem.
        self.get(&format!("{osv}ecosystems.txt"), "osv/ecosystems.txt")?;
        let listed =
            std::fs::read_to_string(self.dir.join("osv/ecosystems.txt")).unwrap_or_default();
        for eco in osv_ecosystems(&listed) {
            let rel = format!("osv/{eco}/all.zip");
            self.get(&format!("{osv}{}/all.zip", encode_segment(&eco)), &rel)?;
        }
        for release in ALPINE_RELEASES {
            for repo in ["main", "community"] {
                let rel = format!("alpine-secdb/{release}/{repo}.json");
                self.get(&format!("{secdb}{release}/{repo}.json"), &rel)?;
            }
        }
        self.get(&debian, "debian/json")?;
        if nvd {
            match nvd_base {
                Some(base) => self.nvd_mirror(&base)?,
                None => self.nvd_api()?,
            }
        }
        Ok(())
    }

    /// A mirror's NVD pages: `cves-0001.json`, `cves-0002.json`, … up to the first missing one.
    fn nvd_mirror(&mut self, base: &str) -> Result<(), FetchError> {
        let mut page = 1;
        loop {
            let name = format!("cves-{page:04}.json");
            match self.get(&format!("{base}{name}"), &format!("nvd/{name}"))? {
                Outcome::Missing => break,
                Outcome::Downloaded | Outcome::NotModified => page += 1,
            }
        }
        self.remove_pages_from(page);
        Ok(())
    }

    /// The NVD API, page by page (`startIndex`), saved as a mirror's pages.
    fn nvd_api(&mut self) -> Result<(), FetchError> {
        let key = std::env::var("NVD_API_KEY").ok().filter(|k| !k.is_empty());
        let mut start = 0u64;
        let mut page = 1;
        loop {
            let url = format!("{NVD_API}?startIndex={start}&resultsPerPage={NVD_PAGE}");
            let rel = format!("nvd/cves-{page:04}.json");
            self.get_with(&url, &rel, key.as_deref(), false)?;
            let total = std::fs::read(self.dir.join(&rel))
                .ok()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                .and_then(|v| v.get("totalResults").and_then(|t| t.as_u64()))
                .unwrap_or(0);
            start += NVD_PAGE;
            page += 1;
            if start >= total {
                break;
            }
            // NVD asks for a pause between requests (5 per 30 s without a key).
            std::thread::sleep(if key.is_some() {
                Duration::from_millis(700)
            } else {
                Duration::from_secs(6)
            });
        }
        self.remove_pages_from(page);
        Ok(())
    }

    fn remove_pages_from(&mut self, mut page: u32) {
        loop {
            let p = self.dir.join(format!("nvd/cves-{page:04}.json"));
            if std::fs::remove_file(&p).is_err() {
                break;
            }
            page += 1;
        }
    }

    fn get(&mut self, url: &str, rel: &str) -> Result<Outcome, FetchError> {
        self.get_with(url, rel, None, true)
    }

    /// GETs `url` into `<dir>/<rel>`: conditional when a copy and its validators exist,
    /// retried on 429/5xx/transport errors with exponential backoff or `Retry-After`.
    fn get_with(
        &mut self,
        url: &str,
        rel: &str,
        api_key: Option<&str>,
        conditional: bool,
    ) -> Result<Outcome, FetchError> {
        let path = self.dir.join(rel);
        let cached = self
            .cache
            .entries
            .get(url)
            .filter(|e| conditional && e.file == rel && path.is_file())
            .cloned();
        self.bar.set_message(rel.to_string());
        self.bar.set_position(0);
        self.bar.set_length(0);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut req = self.agent.get(url);
            if let Some(c) = &cached {
                if let Some(etag) = &c.etag {
                    req = req.header("If-None-Match", etag);
                }
                if let Some(lm) = &c.last_modified {
                    req = req.header("If-Modified-Since", lm);
                }
            }
            if let Some(k) = api_key {
                req = req.header("apiKey", k);
            }
            let resp = match req.call() {
                Ok(r) => r,
                Err(e) => {
                    if attempt >= self.attempts {
                        return Err(if self.reached {
                            FetchError::Transfer {
                                url: url.into(),
                                message: e.to_string(),
                            }
                        } else {
                            FetchError::Offline {
                                url: url.into(),
                                message: e.to_string(),
                            }
                        });
                    }
                    // Before any answer, a failing connection is most likely "offline":
                    // retry quickly rather than making the user wait out a long backoff.
                    let wait = if self.reached {
                        backoff(attempt)
                    } else {
                        Duration::from_millis(200)
                    };
                    tracing::debug!("`{url}`: {e}; retrying in {wait:?}");
                    std::thread::sleep(wait);
                    continue;
                }
            };
            self.reached = true;
            let status = resp.status().as_u16();
            match status {
                200 => {}
                304 if cached.is_some() => {
                    self.report.not_modified.push(rel.into());
                    return Ok(Outcome::NotModified);
                }
                404 | 410 => {
                    self.report.missing.push(rel.into());
                    // The feed is gone upstream: so is our copy.
                    let _ = std::fs::remove_file(&path);
                    if self.cache.entries.remove(url).is_some() {
                        self.save_cache(url)?;
                    }
                    return Ok(Outcome::Missing);
                }
                429 | 500..=599 if attempt < self.attempts => {
                    let wait = retry_after(resp.headers()).unwrap_or_else(|| backoff(attempt));
                    tracing::info!("`{url}` answered HTTP {status}; retrying in {wait:?}");
                    std::thread::sleep(wait);
                    continue;
                }
                _ => {
                    return Err(FetchError::Status {
                        url: url.into(),
                        status,
                        attempts: attempt,
                    });
                }
            }
            let header = |name: &str| {
                resp.headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(String::from)
            };
            let etag = header("etag");
            let last_modified = header("last-modified");
            if let Some(len) = resp.body().content_length() {
                self.bar.set_length(len);
            }
            let body = resp.into_body().into_with_config().limit(8 << 30).reader();
            // The copy carries the server's modification time: it is the feed's timestamp.
            let modified = last_modified
                .as_deref()
                .and_then(|d| httpdate::parse_http_date(d).ok());
            match self.save_body(url, &path, body, modified) {
                Ok(n) => {
                    self.report.bytes += n;
                    self.report.downloaded.push(rel.into());
                    self.cache.entries.insert(
                        url.into(),
                        CacheEntry {
                            file: rel.into(),
                            etag,
                            last_modified,
                        },
                    );
                    self.save_cache(url)?;
                    return Ok(Outcome::Downloaded);
                }
                Err(SaveError::Io(e)) => return Err(e),
                Err(SaveError::Transfer(message)) if attempt >= self.attempts => {
                    return Err(FetchError::Transfer {
                        url: url.into(),
                        message,
                    });
                }
                Err(SaveError::Transfer(message)) => {
                    tracing::info!("`{url}`: {message}; retrying");
                    std::thread::sleep(backoff(attempt));
                }
            }
        }
    }

    /// Streams a body to a temp file beside `path`, then renames it over `path`.
    fn save_body(
        &self,
        url: &str,
        path: &Path,
        mut body: impl Read,
        modified: Option<SystemTime>,
    ) -> Result<u64, SaveError> {
        let io = |p: &Path| {
            let (url, p) = (url.to_string(), p.to_path_buf());
            move |source| {
                SaveError::Io(FetchError::Io {
                    url,
                    path: p,
                    source,
                })
            }
        };
        let parent = parent_dir(path);
        std::fs::create_dir_all(&parent).map_err(io(&parent))?;
        let tmp = temp_name(path);
        let mut file = std::fs::File::create(&tmp).map_err(io(&tmp))?;
        let mut buf = vec![0u8; 64 * 1024];
        let mut total = 0u64;
        loop {
            let n = match body.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => {
                    let _ = std::fs::remove_file(&tmp);
                    return Err(SaveError::Transfer(e.to_string()));
                }
            };
            file.write_all(&buf[..n]).map_err(io(&tmp))?;
            total += n as u64;
            self.bar.set_position(total);
        }
        if let Some(t) = modified {
            file.set_modified(t).map_err(io(&tmp))?;
        }
        file.sync_all().map_err(io(&tmp))?;
        drop(file);
        std::fs::rename(&tmp, path).map_err(io(path))?;
        Ok(total)
    }

    /// Writes the validators (temp file + rename). A copy whose validators were not saved
    /// (killed in between) is simply downloaded again next time.
    fn save_cache(&self, url: &str) -> Result<(), FetchError> {
        let path = self.dir.join(CACHE_FILE);
        let tmp = temp_name(&path);
        let json = serde_json::to_vec_pretty(&self.cache).expect("cache serializes");
        std::fs::write(&tmp, json)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|source| FetchError::Io {
                url: url.into(),
                path,
                source,
            })
    }
}

enum SaveError {
    Io(FetchError),
    Transfer(String),
}

/// `.name.<pid>.tmp` beside `path`.
fn temp_name(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    parent_dir(path).join(format!(".{name}.{}.tmp", std::process::id()))
}

/// Temp files of fetches that were killed (called with the lock held).
fn remove_temps(dir: &Path) {
    for f in crate::feed::files_under(dir, 4) {
        let name = crate::feed::file_name(&f);
        if name.starts_with('.') && name.ends_with(".tmp") {
            let _ = std::fs::remove_file(f);
        }
    }
}

/// The ecosystems of an OSV `ecosystems.txt` to fetch: `Debian:12` is skipped when `Debian`
/// (whose zip holds every release) is listed too.
fn osv_ecosystems(listed: &str) -> Vec<String> {
    let all: Vec<&str> = listed
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.contains(['/', '\\']) && *l != "..")
        .collect();
    all.iter()
        .filter(|e| match e.split_once(':') {
            Some((base, _)) => !all.contains(&base),
            None => true,
        })
        .map(|e| e.to_string())
        .collect()
}

/// Percent-encodes one path segment (`Rocky Linux` → `Rocky%20Linux`). A purl component's
/// encoding keeps only unreserved characters and `:`, all of which a path segment may hold.
fn encode_segment(s: &str) -> String {
    drydock_package::purl_encode(s)
}

/// 0.5 s, 1 s, 2 s, … capped at 30 s.
fn backoff(attempt: u32) -> Duration {
    let ms = 500u64.saturating_mul(1 << attempt.saturating_sub(1).min(10));
    Duration::from_millis(ms.min(30_000))
}

/// `Retry-After` as seconds or an HTTP date, capped at 5 minutes.
fn retry_after(headers: &ureq::http::HeaderMap) -> Option<Duration> {
    let v = headers.get("retry-after")?.to_str().ok()?.trim();
    let wait = match v.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => {
            let at = httpdate::parse_http_date(v).ok()?;
            at.duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO)
        }
    };
    Some(wait.min(Duration::from_secs(300)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecosystems_skip_release_variants_of_listed_ones() {
        let listed = "Alpine\nAlpine:v3.18\nDebian:12\ncrates.io\n../etc\n\nRocky Linux\n";
        assert_eq!(
            osv_ecosystems(listed),
            vec!["Alpine", "Debian:12", "crates.io", "Rocky Linux"]
        );
        assert_eq!(encode_segment("Rocky Linux"), "Rocky%20Linux");
    }

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff(1), Duration::from_millis(500));
        assert_eq!(backoff(3), Duration::from_secs(2));
        assert_eq!(backoff(30), Duration::from_secs(30));
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let mut h = ureq::http::HeaderMap::new();
        h.insert("retry-after", "3".parse().expect("valid header"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        h.insert(
            "retry-after",
            "Wed, 21 Oct 2015 07:28:00 GMT"
                .parse()
                .expect("valid header"),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
    }
}
