//! A throwaway PostgreSQL cluster for tests: Debian's `postgresql` binaries, `initdb` + `pg_ctl`
//! (as the `postgres` user when the tests run as root), on a free loopback port, one per test
//! process, stopped and removed by a watcher process when the test process exits. Each caller
//! of [`new_database`] gets a database of its own.
//!
//! Shared by every test crate that runs store tests on PostgreSQL:
//! `#[path = "…/drydock-store/tests/pg_cluster.rs"] mod pg_cluster;`.
//!
//! When the binaries are missing, [`new_database`] returns `None` (the test says it skipped),
//! unless `CI` is set: then it panics, so CI never passes without having run PostgreSQL.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Cluster {
    port: u16,
    bin: PathBuf,
}

static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();
static NEXT_DB: AtomicUsize = AtomicUsize::new(0);

fn bin_dir() -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("initdb").is_file())
        .collect();
    candidates.sort();
    candidates.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A command run as the `postgres` user when we are root (PostgreSQL refuses to run as root).
fn as_pg_user(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn start() -> Result<Cluster, String> {
    let bin = bin_dir().ok_or("no PostgreSQL binaries under /usr/lib/postgresql/*/bin")?;
    let dir = std::env::temp_dir().join(format!("drydock-pg-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    if is_root() {
        let ok = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(&dir)
            .status()
            .map_err(|e| e.to_string())?;
        if !ok.success() {
            return Err("chown of the cluster directory failed".into());
        }
    }
    let data = dir.join("data");
    let out = as_pg_user(&bin.join("initdb"))
        .arg("-D")
        .arg(&data)
        .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("initdb: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let opts = format!(
        "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
        dir.display()
    );
    let out = as_pg_user(&bin.join("pg_ctl"))
        .arg("-D")
        .arg(&data)
        .args(["-o", &opts, "-l"])
        .arg(dir.join("log"))
        .args(["-w", "start"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("pg_ctl: {e}"))?;
    if !out.status.success() {
        let log = std::fs::read_to_string(dir.join("log")).unwrap_or_default();
        return Err(format!(
            "pg_ctl start failed: {}{log}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    // Stop and remove the cluster when this test process is gone, whatever way it ends.
    let pg_ctl = bin.join("pg_ctl");
    let stop = if is_root() {
        format!(
            "runuser -u postgres -- {} -D {} stop -m immediate",
            pg_ctl.display(),
            data.display()
        )
    } else {
        format!(
            "{} -D {} stop -m immediate",
            pg_ctl.display(),
            data.display()
        )
    };
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop} >/dev/null 2>&1; rm -rf {dir}",
        pid = std::process::id(),
        dir = dir.display()
    );
    Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("starting the cluster watcher: {e}"))?;
    Ok(Cluster { port, bin })
}

/// A URL of a new, empty database in this process's cluster; `None` (skip) when PostgreSQL
/// is not installed and `CI` is not set.
pub fn new_database() -> Option<String> {
    let cluster = CLUSTER.get_or_init(start);
    let c = match cluster {
        Ok(c) => c,
        Err(e) => {
            if std::env::var_os("CI").is_some() {
                panic!("PostgreSQL is required in CI (.ci/setup.d/postgres.sh): {e}");
            }
            eprintln!("skipping the PostgreSQL half of this test: {e}");
            return None;
        }
    };
    let n = NEXT_DB.fetch_add(1, Ordering::SeqCst);
    let name = format!("t{n}");
    let out = Command::new(c.bin.join("psql"))
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &c.port.to_string(),
            "-U",
            "postgres",
        ])
        .args(["-d", "postgres", "-v", "ON_ERROR_STOP=1", "-qc"])
        .arg(format!("CREATE DATABASE {name}"))
        .stdin(Stdio::null())
        .output()
        .expect("psql runs");
    assert!(
        out.status.success(),
        "CREATE DATABASE failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(format!("postgres://postgres@127.0.0.1:{}/{name}", c.port))
}

/// The cluster's `bin` directory and port (for tests that stop or restart it).
pub fn cluster_port() -> Option<u16> {
    CLUSTER.get().and_then(|c| c.as_ref().ok()).map(|c| c.port)
}
