//! `/healthz` follows the store: 503 while PostgreSQL refuses the server's connections (they are
//! terminated and the database closed to new ones), 200 again once it accepts them, without a
//! restart.

use std::process::{Command, Stdio};

use crate::client::{self, get};

/// Runs SQL on the test cluster's `postgres` database.
fn psql(url: &str, sql: &str) {
    let port = crate::pg_cluster::cluster_port().expect("the test cluster");
    let out = Command::new("psql")
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-U", "postgres"])
        .args(["-d", "postgres", "-v", "ON_ERROR_STOP=1", "-qc", sql])
        .stdin(Stdio::null())
        .output()
        .expect("psql runs");
    assert!(
        out.status.success(),
        "{url}: {sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn healthz_is_503_while_the_store_is_unreachable_and_recovers() {
    let Some(url) = crate::pg_cluster::new_database() else {
        return;
    };
    let db = url.rsplit('/').next().expect("a database name").to_string();
    let s = client::serve(&url, false);
    let u = &s.url;
    let h = get(&format!("{u}/healthz"), &[]);
    assert_eq!(h.status, 200, "{}", h.body);
    assert_eq!(h.json()["status"], "ok");

    psql(
        &url,
        &format!(
            "ALTER DATABASE {db} ALLOW_CONNECTIONS false; \
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db}'"
        ),
    );
    // The pooled connection is gone, and a new one is refused: both answers are 503.
    for _ in 0..2 {
        let h = get(&format!("{u}/healthz"), &[]);
        assert_eq!(h.status, 503, "{}", h.body);
        let v = h.json();
        assert_eq!(v["status"], "unavailable", "{v}");
        assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "{v}");
    }

    psql(&url, &format!("ALTER DATABASE {db} ALLOW_CONNECTIONS true"));
    let h = get(&format!("{u}/healthz"), &[]);
    assert_eq!(h.status, 200, "back without a restart: {}", h.body);
    s.running.stop().expect("stop");
}
