//! Tests of `drydock db`: build from the shared feeds, update from a local mirror (conditional
//! requests, retries), kills at random points, status, offline errors.
//!
//! The mirror is a small HTTP/1.1 file server on loopback serving `../shared/data/advisories`
//! as it is laid out upstream; it honours `If-None-Match` / `If-Modified-Since`, counts the
//! bodies it sends, can throttle its bodies, and can answer 429/503 to the next requests.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant, UNIX_EPOCH};

use drydock_advisory::Db;
use serde_json::Value;

use crate::{drydock, shared};

fn advisories() -> PathBuf {
    shared().join("data/advisories")
}

#[derive(Default)]
struct Counters {
    /// 200 responses with a feed body.
    bodies: AtomicUsize,
    not_modified: AtomicUsize,
    requests: AtomicUsize,
    /// Throttle bodies (for kills mid-transfer).
    slow: AtomicBool,
    /// Answer this many next requests with 429 (even) / 503 (odd), `Retry-After: 0`.
    fail_next: AtomicUsize,
    failed: AtomicUsize,
}

struct Mirror {
    url: String,
    c: Arc<Counters>,
}

impl Mirror {
    fn start(root: PathBuf) -> Mirror {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let url = format!("http://{}/", listener.local_addr().expect("addr"));
        let c = Arc::new(Counters::default());
        let c2 = Arc::clone(&c);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (root, c) = (root.clone(), Arc::clone(&c2));
                std::thread::spawn(move || {
                    let _ = serve(stream, &root, &c);
                });
            }
        });
        Mirror { url, c }
    }
}

/// An HTTP date (`Last-Modified`) of `secs` after the epoch.
fn http_date(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let date = drydock_policy::Date::from_unix_days(days);
    let (y, d) = (date.year(), date.day());
    let wd = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][(days.rem_euclid(7)) as usize];
    let mon = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][usize::from(date.month() - 1)];
    let r = secs % 86_400;
    format!(
        "{wd}, {d:02} {mon} {y} {:02}:{:02}:{:02} GMT",
        r / 3600,
        r % 3600 / 60,
        r % 60
    )
}

fn serve(mut stream: TcpStream, root: &Path, c: &Counters) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    c.requests.fetch_add(1, Ordering::SeqCst);
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let fail = c
        .fail_next
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
    if fail.is_ok() {
        let n = c.failed.fetch_add(1, Ordering::SeqCst);
        let status = if n.is_multiple_of(2) {
            "429 Too Many Requests"
        } else {
            "503 Service Unavailable"
        };
        return write!(
            stream,
            "HTTP/1.1 {status}\r\nRetry-After: 0\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
    }
    let rel = path.trim_start_matches('/').replace("%20", " ");
    let file = root.join(&rel);
    if rel.split('/').any(|s| s == "..") || !file.is_file() {
        return write!(
            stream,
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
    }
    let meta = std::fs::metadata(&file)?;
    let mtime = meta
        .modified()?
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let etag = format!("\"{}-{}\"", meta.len(), mtime.as_nanos());
    let last_modified = http_date(mtime.as_secs());
    let fresh = match header("if-none-match") {
        Some(tag) => tag == etag,
        None => header("if-modified-since").is_some_and(|d| d == last_modified),
    };
    if fresh {
        c.not_modified.fetch_add(1, Ordering::SeqCst);
        return write!(
            stream,
            "HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\nConnection: close\r\n\r\n"
        );
    }
    let body = std::fs::read(&file)?;
    c.bodies.fetch_add(1, Ordering::SeqCst);
    write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nETag: {etag}\r\nLast-Modified: {last_modified}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    for chunk in body.chunks(64 * 1024) {
        stream.write_all(chunk)?;
        if c.slow.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(8));
        }
    }
    stream.flush()
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("drydock runs");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    out
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

fn update(db: &Path, mirror: &str) -> Command {
    let mut c = drydock();
    c.args(["db", "update", "--json", "--mirror", mirror, "--db"])
        .arg(db);
    c
}

#[test]
fn build_from_the_shared_feeds_counts_and_explains_skips() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("drydock.db");
    let out = run(drydock()
        .args(["db", "build", "--json", "--feeds"])
        .arg(advisories())
        .arg("--db")
        .arg(&db));
    let v = json(&out);
    let lib = drydock_advisory::build(&[advisories()], &dir.path().join("lib.db")).expect("build");
    let sources: std::collections::BTreeMap<String, drydock_advisory::SourceStats> =
        serde_json::from_value(v["sources"].clone()).expect("sources");
    assert_eq!(sources, lib.sources);
    assert_eq!(
        v["warnings"].as_array().map(Vec::len),
        Some(lib.warnings.len())
    );
    // The human output names each source and the reasons it skipped.
    let out = run(drydock()
        .args(["db", "build", "--feeds"])
        .arg(advisories())
        .arg("--db")
        .arg(&db));
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "osv:crates.io",
        "osv:Go",
        "osv:PyPI",
        "alpine-secdb",
        "nvd",
        "13 withdrawn",
        "git-range",
        "invalid-version `",
    ] {
        if needle.ends_with('`') {
            assert!(text.contains("invalid-version"), "{text}");
        } else {
            assert!(text.contains(needle), "`{needle}` in\n{text}");
        }
    }
    // status shows the same counts.
    let st = json(&run(drydock()
        .args(["db", "status", "--json", "--db"])
        .arg(&db)));
    assert_eq!(st["sources"], v["sources"]);
    assert_eq!(st["schema_version"], drydock_advisory::SCHEMA_VERSION);
    let text =
        String::from_utf8_lossy(&run(drydock().args(["db", "status", "--db"]).arg(&db)).stdout)
            .into_owned();
    assert!(
        text.contains("schema version: 1") && text.contains("osv:Go"),
        "{text}"
    );
}

#[test]
fn update_from_a_mirror_then_nothing_changed_transfers_no_bodies() {
    let m = Mirror::start(advisories());
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("db/drydock.db");
    let first = json(&run(&mut update(&db, &m.url)));
    let bodies = m.c.bodies.load(Ordering::SeqCst);
    // ecosystems.txt, 3 zips, 18 secdb files, 1 NVD page.
    assert_eq!(bodies, 1 + 3 + 18 + 1);
    let lib = drydock_advisory::build(&[advisories()], &dir.path().join("lib.db")).expect("build");
    let sources: std::collections::BTreeMap<String, drydock_advisory::SourceStats> =
        serde_json::from_value(first["sources"].clone()).expect("sources");
    for (name, s) in &lib.sources {
        assert_eq!(sources[name].records, s.records, "{name}");
    }

    m.c.bodies.store(0, Ordering::SeqCst);
    m.c.not_modified.store(0, Ordering::SeqCst);
    let out = run(drydock()
        .args(["db", "update", "--mirror", &m.url, "--db"])
        .arg(&db));
    assert_eq!(
        m.c.bodies.load(Ordering::SeqCst),
        0,
        "no feed body on the second update"
    );
    assert_eq!(m.c.not_modified.load(Ordering::SeqCst), bodies);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("fetched 0 file(s) (0 B), {bodies} unchanged")),
        "{text}"
    );
    assert!(
        Db::open(&db)
            .expect("opens")
            .status()
            .expect("status")
            .sources["osv:Go"]
            .records
            > 0
    );
}

#[test]
fn update_retries_429_and_503_honouring_retry_after() {
    let m = Mirror::start(advisories());
    m.c.fail_next.store(3, Ordering::SeqCst);
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("drydock.db");
    run(&mut update(&db, &m.url));
    assert_eq!(m.c.failed.load(Ordering::SeqCst), 3);
    assert!(Db::open(&db).is_ok());
}

#[test]
fn update_offline_is_one_clear_line_and_keeps_the_old_db() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("drydock.db");
    run(drydock()
        .args(["db", "build", "--feeds"])
        .arg(advisories().join("osv/crates.io/all.zip"))
        .arg("--db")
        .arg(&db));
    // Nothing listens on a port we bound and closed.
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let out = drydock()
        .args([
            "db",
            "update",
            "--mirror",
            &format!("http://127.0.0.1:{port}/"),
            "--db",
        ])
        .arg(&db)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("offline"), "{err}");
    let st = Db::open(&db)
        .expect("old DB intact")
        .status()
        .expect("status");
    assert_eq!(st.sources.keys().collect::<Vec<_>>(), ["osv:crates.io"]);
}

/// A tiny xorshift: random kill delays without a dependency; the seed is printed.
struct Rng(u64);
impl Rng {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

#[test]
fn killing_update_at_random_points_always_leaves_a_db_that_opens() {
    let m = Mirror::start(advisories());
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("drydock.db");
    run(&mut update(&db, &m.url));
    let expected = Db::open(&db)
        .expect("opens")
        .status()
        .expect("status")
        .sources;
    let seed = std::env::var("DRYDOCK_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| UNIX_EPOCH.elapsed().unwrap_or_default().as_nanos() as u64 | 1);
    eprintln!("kill test seed: {seed} (DRYDOCK_KILL_SEED)");
    let mut rng = Rng(seed);
    m.c.slow.store(true, Ordering::SeqCst);
    let cache = db.parent().expect("dir").join("feeds/http-cache.json");
    let mut killed = 0;
    let started = Instant::now();
    for i in 0..30 {
        // Half the runs re-download every feed (slowly), half only rebuild: kills land in
        // transfers, in renames, and in the DB build.
        if i % 2 == 0 {
            let _ = std::fs::remove_file(&cache);
        }
        let mut child = update(&db, &m.url)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(Duration::from_millis(rng.next(1500)));
        if child.try_wait().expect("wait").is_none() {
            child.kill().expect("kill");
            killed += 1;
        }
        child.wait().expect("reap");
        let opened = Db::open(&db).unwrap_or_else(|e| panic!("iteration {i}: {e}"));
        let st = opened
            .status()
            .unwrap_or_else(|e| panic!("iteration {i}: {e}"));
        assert_eq!(
            st.sources, expected,
            "iteration {i}: a complete DB, old or new"
        );
    }
    assert!(killed >= 20, "most runs were killed mid-way ({killed}/30)");
    eprintln!("30 kill iterations in {:?}", started.elapsed());
    // And the next update, uninterrupted, succeeds and cleans up after the killed ones.
    m.c.slow.store(false, Ordering::SeqCst);
    run(&mut update(&db, &m.url));
    let mut leftovers = Vec::new();
    for d in [dir.path().to_path_buf(), dir.path().join("feeds")] {
        for e in std::fs::read_dir(&d).expect("dir").flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if n.ends_with(".tmp") {
                leftovers.push(n);
            }
        }
    }
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let mut zip = Vec::new();
    std::fs::File::open(dir.path().join("feeds/osv/Go/all.zip"))
        .and_then(|mut f| f.read_to_end(&mut zip))
        .expect("cached zip");
    assert_eq!(
        zip,
        std::fs::read(advisories().join("osv/Go/all.zip")).expect("shared zip")
    );
}
