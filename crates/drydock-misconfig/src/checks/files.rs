//! Checks on the files of an image: accounts (`etc/passwd`, `etc/shadow`), setuid/setgid
//! files no package owns, credential files, token formats in text files, and secrets that a
//! later layer deleted or replaced but a lower layer still ships.
//!
//! Reading is bounded: only text candidates up to [`FileLimits::max_file_size`] are read,
//! and no more than [`FileLimits::max_total_bytes`] in all; package-owned paths, binaries,
//! and documentation/test/vendor trees are skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use drydock_image::{EntryKind, FileMeta, FileVisitor};
use sha2::{Digest as _, Sha256};

use crate::secret::{self, Hit};

/// Bounds on what the secret checks read.
#[derive(Debug, Clone)]
pub struct FileLimits {
    /// Larger files are not read for secrets (credential files and accounts are small).
    pub max_file_size: u64,
    /// Bytes read for secrets over the whole image; past it, files are skipped with one warning.
    pub max_total_bytes: u64,
}

impl Default for FileLimits {
    fn default() -> Self {
        FileLimits {
            max_file_size: 1 << 20,
            max_total_bytes: 256 << 20,
        }
    }
}

/// What one visited file yielded.
#[derive(Debug, Clone)]
pub enum Output {
    Passwd(String),
    Shadow(String),
    /// A dpkg `*.list` file or the apk database: paths packages own.
    Owned(Vec<String>),
    /// An rpm database: ownership unknown to us, but a package manager is present.
    RpmDb,
    Setuid {
        mode: u32,
    },
    Text(TextResult),
    /// A Dockerfile found in a directory target, checked (findings, warnings).
    Dockerfile(Vec<crate::MisconfigFinding>, Vec<String>),
    Nothing,
}

/// Secrets in one file.
#[derive(Debug, Clone)]
pub struct TextResult {
    pub credential: Option<&'static str>,
    pub hits: Vec<Hit>,
    pub sha256: [u8; 32],
}

/// A secret-bearing file as some layer had it (visible or not).
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub sha256: [u8; 32],
    pub credential: Option<&'static str>,
    pub hits: Vec<Hit>,
}

/// The visitor the image walk calls. Besides what it returns for visible files, it remembers
/// every secret-bearing file of every layer ([`Visitor::seen`]), so secrets hidden by a later
/// layer can be told apart.
#[derive(Debug)]
pub struct Visitor {
    limits: FileLimits,
    /// Check files named like Dockerfiles (directory targets: `drydock fs`).
    dockerfiles: bool,
    total: AtomicU64,
    exhausted: AtomicBool,
    seen: Mutex<Vec<Seen>>,
    warnings: Mutex<Vec<String>>,
}

impl Visitor {
    pub fn new(limits: FileLimits) -> Visitor {
        Visitor {
            limits,
            dockerfiles: false,
            total: AtomicU64::new(0),
            exhausted: AtomicBool::new(false),
            seen: Mutex::new(Vec::new()),
            warnings: Mutex::new(Vec::new()),
        }
    }

    /// Also checks files named `Dockerfile`, `Containerfile`, `*.Dockerfile`, `Dockerfile.*`
    /// (for directory targets; an image's own files are not its build recipe).
    pub fn with_dockerfiles(mut self) -> Visitor {
        self.dockerfiles = true;
        self
    }

    /// Every secret-bearing file seen in any layer.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Files that should have been read but were not (a credential file over the size bound).
    pub fn warnings(&self) -> Vec<String> {
        let mut w = self.warnings.lock().map(|w| w.clone()).unwrap_or_default();
        w.sort();
        w.dedup();
        w
    }

    /// Whether the byte budget ran out (some files went unread).
    pub fn exhausted(&self) -> bool {
        self.exhausted.load(Ordering::Relaxed)
    }

    pub fn bytes_read(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }

    /// Whether a file may be read for token formats. Free of effects (the walk may ask twice
    /// when the visitor shares it, see [`drydock_image::Pair`]): the byte budget is only
    /// looked at here and charged in [`Visitor::charge`].
    fn text_candidate(&self, path: &str, meta: &FileMeta) -> bool {
        if meta.size == 0 || meta.size > self.limits.max_file_size || skipped_path(path) {
            return false;
        }
        if self.total.load(Ordering::Relaxed) + meta.size > self.limits.max_total_bytes {
            self.exhausted.store(true, Ordering::Relaxed);
            return false;
        }
        true
    }

    /// Charges `size` bytes to the budget; false when it does not fit (the file is not
    /// scanned).
    fn charge(&self, size: u64) -> bool {
        let before = self.total.fetch_add(size, Ordering::Relaxed);
        if before + size > self.limits.max_total_bytes {
            self.total.fetch_sub(size, Ordering::Relaxed);
            self.exhausted.store(true, Ordering::Relaxed);
            return false;
        }
        true
    }
}

impl FileVisitor for Visitor {
    type Output = Output;

    fn wants(&self, path: &str, meta: &FileMeta) -> bool {
        if meta.kind != EntryKind::File {
            return false;
        }
        if meta.mode & 0o6000 != 0 {
            return true;
        }
        if credential_kind(path).is_some() && meta.size > self.limits.max_file_size {
            if let Ok(mut w) = self.warnings.lock() {
                w.push(format!(
                    "{path}: not checked for credentials: {} bytes is over the {}-byte bound",
                    meta.size, self.limits.max_file_size
                ));
            }
            return false;
        }
        if self.dockerfiles && crate::is_dockerfile_name(path) {
            return meta.size <= crate::dockerfile::MAX_SIZE as u64;
        }
        matches!(path, "etc/passwd" | "etc/shadow" | "lib/apk/db/installed")
            || is_dpkg_list(path)
            || is_rpm_db(path)
            || (credential_kind(path).is_some() && meta.size <= self.limits.max_file_size)
            || self.text_candidate(path, meta)
    }

    fn visit(&self, path: &str, meta: &FileMeta, content: &[u8]) -> Output {
        if self.dockerfiles && crate::is_dockerfile_name(path) {
            return match crate::Dockerfile::parse(content) {
                Ok(df) => Output::Dockerfile(
                    crate::check_dockerfile(&df, path),
                    df.warnings.iter().map(|w| format!("{path}: {w}")).collect(),
                ),
                Err(e) => Output::Dockerfile(Vec::new(), vec![format!("{path}: {e}")]),
            };
        }
        match path {
            "etc/passwd" => return Output::Passwd(String::from_utf8_lossy(content).into_owned()),
            "etc/shadow" => return Output::Shadow(String::from_utf8_lossy(content).into_owned()),
            "lib/apk/db/installed" => return Output::Owned(apk_owned(content)),
            _ => {}
        }
        if is_dpkg_list(path) {
            return Output::Owned(
                String::from_utf8_lossy(content)
                    .lines()
                    .map(|l| l.trim_start_matches('/').to_string())
                    .filter(|l| !l.is_empty())
                    .collect(),
            );
        }
        if is_rpm_db(path) {
            return Output::RpmDb;
        }
        if meta.mode & 0o6000 != 0 {
            return Output::Setuid { mode: meta.mode };
        }
        if is_binary(content) {
            return Output::Nothing;
        }
        // Credential files are small and always read; other text counts against the budget.
        if credential_kind(path).is_none() && !self.charge(content.len() as u64) {
            return Output::Nothing;
        }
        let text = String::from_utf8_lossy(content);
        let credential = credential_kind(path).filter(|_| credential_confirmed(path, &text));
        let hits = secret::scan(&text);
        if credential.is_none() && hits.is_empty() {
            return Output::Nothing;
        }
        let r = TextResult {
            credential,
            hits,
            sha256: Sha256::digest(content).into(),
        };
        if let Ok(mut seen) = self.seen.lock() {
            seen.push(Seen {
                path: path.to_string(),
                sha256: r.sha256,
                credential: r.credential,
                hits: r.hits.clone(),
            });
        }
        Output::Text(r)
    }

    /// Directories of a directory target whose files are never read for secrets.
    fn skip_dir(&self, path: &str) -> bool {
        skipped_path(&format!("{path}/-"))
    }
}

fn is_dpkg_list(path: &str) -> bool {
    path.starts_with("var/lib/dpkg/info/") && path.ends_with(".list")
}

fn is_rpm_db(path: &str) -> bool {
    matches!(
        path,
        "var/lib/rpm/Packages" | "var/lib/rpm/rpmdb.sqlite" | "usr/lib/sysimage/rpm/rpmdb.sqlite"
    )
}

fn apk_owned(content: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(content);
    let mut dir = String::new();
    let mut out = Vec::new();
    for line in text.lines() {
        if let Some(d) = line.strip_prefix("F:") {
            dir = d.to_string();
        } else if let Some(f) = line.strip_prefix("R:") {
            out.push(if dir.is_empty() {
                f.to_string()
            } else {
                format!("{dir}/{f}")
            });
        }
    }
    out
}

/// Files with NUL bytes near the start (ELF, images, archives) are not text.
fn is_binary(content: &[u8]) -> bool {
    content[..content.len().min(8192)].contains(&0)
}

/// Paths not read for token formats: documentation, headers, language runtimes and package
/// trees, tests and examples, package databases, well-known binary formats.
fn skipped_path(path: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "usr/share/",
        "usr/include/",
        "usr/src/",
        "usr/lib/",
        "usr/lib64/",
        "lib/",
        "lib64/",
        "usr/libexec/",
        "var/lib/dpkg/",
        "var/lib/apt/",
        "var/lib/rpm/",
        "var/cache/",
        "var/log/",
        "etc/ssl/",
        "etc/pki/",
        "etc/ca-certificates/",
        "proc/",
        "sys/",
        "usr/local/go/",
        "usr/local/lib/",
    ];
    const PARTS: &[&str] = &[
        "/site-packages/",
        "/dist-packages/",
        "/node_modules/",
        "/vendor/",
        "/test/",
        "/tests/",
        "/testdata/",
        "/examples/",
        "/__pycache__/",
        "/.git/",
    ];
    const EXTS: &[&str] = &[
        ".so", ".a", ".o", ".pyc", ".pyo", ".class", ".jar", ".war", ".whl", ".egg", ".zip", ".gz",
        ".tgz", ".bz2", ".xz", ".zst", ".png", ".jpg", ".jpeg", ".gif", ".ico", ".svg", ".ttf",
        ".otf", ".woff", ".woff2", ".pdf", ".mo", ".wasm", ".md", ".rst", ".html", ".css", ".map",
    ];
    let lower = path.to_ascii_lowercase();
    if credential_kind(path).is_some() {
        return false;
    }
    PREFIXES.iter().any(|p| lower.starts_with(p))
        || PARTS.iter().any(|p| format!("/{lower}").contains(p))
        || EXTS.iter().any(|e| lower.ends_with(e))
        || lower
            .split('/')
            .next_back()
            .is_some_and(|b| b.contains(".so."))
}

/// What kind of credential file a path names, if any (by name alone; [`credential_confirmed`]
/// then checks the content).
pub fn credential_kind(path: &str) -> Option<&'static str> {
    let base = path.rsplit('/').next().unwrap_or(path);
    let parent = path.rsplit('/').nth(1).unwrap_or("");
    if parent == ".ssh" && base.starts_with("id_") && !base.ends_with(".pub") {
        return Some("SSH private key");
    }
    if parent == ".aws" && base == "credentials" {
        return Some("AWS credentials file");
    }
    if parent == ".docker" && base == "config.json" {
        return Some("docker config with registry credentials");
    }
    if parent == ".kube" && base == "config" {
        return Some("kubeconfig");
    }
    match base {
        ".npmrc" => Some(".npmrc with a token"),
        ".pypirc" => Some(".pypirc with a password"),
        ".git-credentials" => Some("git credentials"),
        ".netrc" => Some(".netrc with a password"),
        ".env" => Some(".env with secrets"),
        b if b.starts_with(".env.")
            && !b.ends_with(".example")
            && !b.ends_with(".sample")
            && !b.ends_with(".template")
            && !b.ends_with(".dist") =>
        {
            Some(".env with secrets")
        }
        _ => None,
    }
}

/// Whether a credential-named file really holds a credential (an `.npmrc` with only a
/// registry URL does not).
fn credential_confirmed(path: &str, text: &str) -> bool {
    let base = path.rsplit('/').next().unwrap_or(path);
    let has_value = |key: &str, sep: char| {
        text.lines().any(|l| {
            let l = l.trim();
            l.split_once(sep).is_some_and(|(k, v)| {
                k.trim().to_ascii_lowercase().ends_with(key) && secret::is_literal_value(v.trim())
            })
        })
    };
    match base {
        _ if base.starts_with("id_") => text.contains("PRIVATE KEY"),
        "credentials" => has_value("aws_secret_access_key", '='),
        "config.json" => {
            text.contains("\"auths\"")
                && (text.contains("\"auth\"") || text.contains("\"identitytoken\""))
        }
        "config" => {
            text.contains("kind: Config")
                && ["token:", "client-key-data:", "password:"]
                    .iter()
                    .any(|k| text.contains(k))
        }
        ".npmrc" => {
            has_value("_authtoken", '=') || has_value("_auth", '=') || has_value("_password", '=')
        }
        ".pypirc" => has_value("password", '=') || has_value("password", ':'),
        ".git-credentials" => text.contains('@') && text.contains("://"),
        ".netrc" => text.split_whitespace().any(|w| w == "password"),
        _ => text.lines().any(|l| {
            l.trim()
                .trim_start_matches("export ")
                .split_once('=')
                .is_some_and(|(k, v)| {
                    secret::is_secret_name(k.trim()) && secret::is_literal_value(v.trim())
                })
        }),
    }
}

/// A user name and the 1-based line it is on.
pub type UserLine = (String, usize);

/// Account findings from `etc/passwd` and `etc/shadow`: (user, is root) with an empty
/// password; users other than `root` with UID 0.
pub fn accounts(passwd: Option<&str>, shadow: Option<&str>) -> (Vec<UserLine>, Vec<UserLine>) {
    let mut empty = Vec::new();
    if let Some(s) = shadow {
        for (i, l) in s.lines().enumerate() {
            let mut f = l.split(':');
            if let (Some(user), Some(hash)) = (f.next(), f.next())
                && !user.is_empty()
                && hash.is_empty()
            {
                empty.push((user.to_string(), i + 1));
            }
        }
    }
    let mut uid0 = Vec::new();
    if let Some(p) = passwd {
        for (i, l) in p.lines().enumerate() {
            let f: Vec<&str> = l.split(':').collect();
            if f.len() >= 3 && f[2].trim() == "0" && f[0] != "root" && !f[0].is_empty() {
                uid0.push((f[0].to_string(), i + 1));
            }
        }
    }
    (empty, uid0)
}

/// A path as package ownership compares it: merged-/usr systems list `/bin/mount` in dpkg
/// while the file sits at `usr/bin/mount` (and the reverse), so `usr/` is dropped before
/// `bin`, `sbin` and `lib*`.
pub fn canonical(path: &str) -> &str {
    let p = path.trim_start_matches('/');
    match p.strip_prefix("usr/") {
        Some(rest)
            if rest.starts_with("bin/") || rest.starts_with("sbin/") || rest.starts_with("lib") =>
        {
            rest
        }
        _ => p,
    }
}

/// The package-owned paths (canonical, see [`canonical`]) and whether an rpm database was
/// seen.
pub fn owned_paths<'a>(outputs: impl Iterator<Item = &'a Output>) -> (BTreeSet<String>, bool) {
    let mut owned = BTreeSet::new();
    let mut rpm = false;
    for o in outputs {
        match o {
            Output::Owned(paths) => owned.extend(paths.iter().map(|p| canonical(p).to_string())),
            Output::RpmDb => rpm = true,
            _ => {}
        }
    }
    (owned, rpm)
}

/// Seen secret files that the final image does not show with the same content: deleted or
/// replaced by a later layer. Keyed by path, each with the content hashes still shipped.
pub fn hidden(seen: &[Seen], visible: &BTreeMap<String, [u8; 32]>) -> Vec<Seen> {
    let mut out: Vec<Seen> = seen
        .iter()
        .filter(|s| visible.get(&s.path) != Some(&s.sha256))
        .cloned()
        .collect();
    out.sort_by(|a, b| a.path.cmp(&b.path).then(a.sha256.cmp(&b.sha256)));
    out.dedup_by(|a, b| a.path == b.path && a.sha256 == b.sha256);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_names() {
        assert_eq!(
            credential_kind("root/.ssh/id_ed25519"),
            Some("SSH private key")
        );
        assert_eq!(credential_kind("root/.ssh/id_ed25519.pub"), None);
        assert_eq!(
            credential_kind("app/.env.production"),
            Some(".env with secrets")
        );
        assert_eq!(credential_kind("app/.env.example"), None);
        assert!(credential_confirmed(
            "a/.npmrc",
            "//registry.npmjs.org/:_authToken=npm_abc123xyz\n"
        ));
        assert!(!credential_confirmed(
            "a/.npmrc",
            "registry=https://r.example/\n"
        ));
        assert!(!credential_confirmed(
            "a/.npmrc",
            "//r/:_authToken=${NPM_TOKEN}\n"
        ));
        assert!(credential_confirmed("app/.env", "DB_PASSWORD=hunter22\n"));
    }

    #[test]
    fn account_checks() {
        let (empty, uid0) = accounts(
            Some("root:x:0:0::/root:/bin/sh\ntoor:x:0:0::/:/bin/sh\napp:x:1000:1000::/:/bin/sh\n"),
            Some("root::19000:0:::::\napp:!:19000::::::\nbin:*:1::::::\n"),
        );
        assert_eq!(empty, [("root".to_string(), 1)]);
        assert_eq!(uid0, [("toor".to_string(), 2)]);
    }

    #[test]
    fn a_huge_credential_file_is_a_warning() {
        let v = Visitor::new(FileLimits::default());
        let meta = FileMeta {
            size: 2 << 30,
            mode: 0o600,
            kind: EntryKind::File,
        };
        assert!(!v.wants("root/.ssh/id_rsa", &meta));
        assert!(!v.wants("app/big.log", &meta));
        assert_eq!(v.warnings().len(), 1, "{:?}", v.warnings());
        assert!(v.warnings()[0].contains("root/.ssh/id_rsa"));
    }

    #[test]
    fn skips() {
        assert_eq!(canonical("usr/bin/mount"), canonical("/bin/mount"));
        assert_eq!(canonical("usr/local/bin/x"), "usr/local/bin/x");
        assert!(skipped_path("usr/share/doc/x/README"));
        assert!(skipped_path("usr/lib/python3/dist-packages/x/test_key.pem"));
        assert!(skipped_path("opt/app/lib/libx.so.1"));
        assert!(!skipped_path("app/config.yaml"));
        assert!(!skipped_path("root/.ssh/id_rsa"));
        assert_eq!(
            apk_owned(b"P:x\nF:usr/bin\nR:su\nR:passwd\n"),
            ["usr/bin/su", "usr/bin/passwd"]
        );
    }
}
