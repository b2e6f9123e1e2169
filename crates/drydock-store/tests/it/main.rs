//! Store tests: every scenario runs against SQLite and against a real PostgreSQL, and both must
//! give the same answers.

#[path = "../pg_cluster.rs"]
mod pg_cluster;

use drydock_store::{
    ImageScan, Observation, RunStart, RunStatus, ScanStatus, Shard, Store, StoreError, VulnInfo,
};

/// Runs `f` on a fresh SQLite store and a fresh PostgreSQL store; returns both results.
fn both<T: std::fmt::Debug + PartialEq>(f: impl Fn(&mut Store) -> T) -> T {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("h.db");
    let mut s = Store::open(path.to_str().expect("utf-8")).expect("sqlite store");
    let a = f(&mut s);
    if let Some(url) = pg_cluster::new_database() {
        let mut p = Store::open(&url).expect("postgres store");
        let b = f(&mut p);
        assert_eq!(a, b, "SQLite and PostgreSQL disagree");
    }
    a
}

fn start(run_id: &str, shard: Shard, at: i64) -> RunStart {
    RunStart {
        run_id: run_id.into(),
        shard,
        images_planned: 1,
        drydock_version: "test".into(),
        db_built_at: Some("2026-12-01T00:00:00Z".into()),
        db_sources: None,
        fleet_digest: Some("sha256:f".into()),
        fleet_path: Some("fleet.yaml".into()),
        started_at: at,
    }
}

fn scan(seq: i64, reference: &str, status: ScanStatus, n: usize) -> ImageScan {
    ImageScan {
        run_seq: seq,
        reference: reference.into(),
        repository: reference.split(':').next().unwrap_or(reference).into(),
        releases: vec![("v1".into(), 0)],
        status,
        error: (status == ScanStatus::Failed).then(|| "layer truncated".into()),
        digest: Some("sha256:d".into()),
        platform: Some("linux/amd64".into()),
        os: Some("debian 12".into()),
        package_count: 10,
        finding_count: n as i64,
        layers_analysed: 2,
        layers_cached: 1,
        started_at: 1,
        finished_at: 2,
        shard_index: 0,
        sources: vec!["github.com/x/app".into()],
        labels: Default::default(),
        mirrored: false,
    }
}

fn obs(pkg: &str, vuln: &str, installed: &str, fixed: Option<&str>, sev: &str) -> Observation {
    Observation {
        fingerprint: format!("fp-{pkg}-{vuln}"),
        repository: "reg/app".into(),
        ecosystem: "pypi".into(),
        package: pkg.into(),
        vuln_id: vuln.into(),
        advisory_id: vuln.into(),
        installed: installed.into(),
        fixed: fixed.map(str::to_string),
        severity: sev.into(),
        status: "fixed".into(),
        pkg_type: "python-pkg".into(),
        layer: Some("sha256:l".into()),
        path: Some("site-packages/x".into()),
    }
}

fn vuln(id: &str) -> VulnInfo {
    VulnInfo {
        vuln_id: id.into(),
        title: Some(format!("title of {id}")),
        description: None,
        url: Some(format!("https://nvd.nist.gov/vuln/detail/{id}")),
        aliases: vec![],
        cvss_score: Some("7.5".into()),
        cvss_vector: None,
    }
}

/// One run of one image with these observations (or a failed scan).
fn run_once(s: &mut Store, id: &str, at: i64, found: Option<&[Observation]>) -> i64 {
    let seq = s.begin_run(&start(id, Shard::WHOLE, at)).expect("begin");
    let status = if found.is_some() {
        ScanStatus::Ok
    } else {
        ScanStatus::Failed
    };
    let o = found.unwrap_or(&[]);
    let vulns: Vec<VulnInfo> = o.iter().map(|o| vuln(&o.vuln_id)).collect();
    s.record_image(&scan(seq, "reg/app:1", status, o.len()), o, &vulns)
        .expect("record");
    assert_eq!(
        s.finish_shard(seq, 0, at + 1).expect("finish"),
        RunStatus::Complete
    );
    seq
}

fn ids(o: &[Observation]) -> Vec<(String, String, Option<String>)> {
    o.iter()
        .map(|o| (o.package.clone(), o.installed.clone(), o.fixed.clone()))
        .collect()
}

#[test]
fn observations_come_back_per_run_through_intervals() {
    let answers = both(|s| {
        let a = obs("django", "CVE-1", "3.2.0", Some("3.2.1"), "HIGH");
        let b = obs("requests", "CVE-2", "2.25.0", None, "MEDIUM");
        let b_fixed = obs("requests", "CVE-2", "2.25.0", Some("2.31.0"), "MEDIUM");
        let c = obs("jinja2", "CVE-3", "2.11.2", None, "LOW");
        let r1 = run_once(s, "r1", 100, Some(&[a.clone(), b.clone()]));
        let r2 = run_once(s, "r2", 200, Some(&[a.clone(), b_fixed.clone(), c.clone()]));
        let r3 = run_once(s, "r3", 300, None); // failed: says nothing
        let r4 = run_once(s, "r4", 400, Some(std::slice::from_ref(&b_fixed)));
        let r5 = run_once(s, "r5", 500, Some(&[a.clone(), b_fixed.clone()]));
        let got: Vec<_> = [r1, r2, r3, r4, r5]
            .iter()
            .map(|r| ids(&s.observations(*r, "reg/app:1").expect("observations")))
            .collect();
        // Intervals: a(r1..r2), b(r1), b'(r2..), c(r2), a(r5..) — not one row per run.
        let intervals = s.interval_count().expect("count");
        let reappeared = s.seen_before("fp-django-CVE-1", r4).expect("seen");
        let never = s.seen_before("fp-jinja2-CVE-3", r1).expect("seen");
        (got, intervals, reappeared, never)
    });
    let (got, intervals, reappeared, never) = answers;
    let row =
        |p: &str, i: &str, f: Option<&str>| (p.to_string(), i.to_string(), f.map(String::from));
    assert_eq!(
        got[0],
        vec![
            row("django", "3.2.0", Some("3.2.1")),
            row("requests", "2.25.0", None)
        ]
    );
    assert_eq!(
        got[1],
        vec![
            row("django", "3.2.0", Some("3.2.1")),
            row("jinja2", "2.11.2", None),
            row("requests", "2.25.0", Some("2.31.0"))
        ]
    );
    assert!(got[2].is_empty(), "a failed scan has no observations");
    assert_eq!(got[3], vec![row("requests", "2.25.0", Some("2.31.0"))]);
    assert_eq!(
        got[4],
        vec![
            row("django", "3.2.0", Some("3.2.1")),
            row("requests", "2.25.0", Some("2.31.0"))
        ]
    );
    assert_eq!(intervals, 5);
    assert!(reappeared);
    assert!(!never);
}

#[test]
fn unchanged_findings_cost_no_rows() {
    let n = both(|s| {
        let a = obs("django", "CVE-1", "3.2.0", Some("3.2.1"), "HIGH");
        for i in 0..30 {
            run_once(s, &format!("r{i}"), i * 10, Some(std::slice::from_ref(&a)));
        }
        s.interval_count().expect("count")
    });
    assert_eq!(n, 1);
}

#[test]
fn runs_are_listed_with_counts_and_found_by_selector() {
    let got = both(|s| {
        let a = obs("django", "CVE-1", "3.2.0", Some("3.2.1"), "HIGH");
        run_once(s, "first", 100, Some(std::slice::from_ref(&a)));
        run_once(s, "second", 200, None);
        let runs = s.runs(10).expect("runs");
        let latest = s.run("latest").expect("latest").run_id;
        let previous = s.run("previous").expect("previous").run_id;
        let by_seq = s.run("#1").expect("by seq").run_id;
        let missing = matches!(s.run("nope"), Err(StoreError::NoRun(_)));
        let images = s.images(runs[0].seq).expect("images");
        (
            runs.iter()
                .map(|r| (r.run_id.clone(), r.images_ok, r.images_failed, r.findings))
                .collect::<Vec<_>>(),
            latest,
            previous,
            by_seq,
            missing,
            images
                .iter()
                .map(|i| {
                    (
                        i.reference.clone(),
                        i.status,
                        i.error.clone(),
                        i.releases.clone(),
                    )
                })
                .collect::<Vec<_>>(),
        )
    });
    assert_eq!(
        got.0,
        vec![("second".into(), 0, 1, 0), ("first".into(), 1, 0, 1)]
    );
    assert_eq!(
        (got.1.as_str(), got.2.as_str(), got.3.as_str()),
        ("second", "first", "first")
    );
    assert!(got.4);
    assert_eq!(
        got.5,
        vec![(
            "reg/app:1".to_string(),
            ScanStatus::Failed,
            Some("layer truncated".to_string()),
            vec![("v1".to_string(), 0)]
        )]
    );
}

#[test]
fn a_run_is_complete_only_when_every_shard_reported() {
    let got = both(|s| {
        let mut states = Vec::new();
        let seq0 = s
            .begin_run(&start("nightly", Shard { index: 0, count: 3 }, 1))
            .expect("s0");
        let seq1 = s
            .begin_run(&start("nightly", Shard { index: 1, count: 3 }, 1))
            .expect("s1");
        let seq2 = s
            .begin_run(&start("nightly", Shard { index: 2, count: 3 }, 1))
            .expect("s2");
        assert_eq!((seq0, seq0), (seq1, seq2));
        states.push(s.finish_shard(seq0, 0, 5).expect("f0"));
        states.push(s.finish_shard(seq0, 2, 5).expect("f2"));
        let incomplete_latest = s.run("latest").is_err();
        states.push(s.finish_shard(seq0, 1, 6).expect("f1"));
        let run = s.run("nightly").expect("run");
        let wrong_count = s.begin_run(&start("nightly", Shard { index: 0, count: 2 }, 1));
        (
            states,
            incomplete_latest,
            run.status,
            run.shards_finished,
            matches!(wrong_count, Err(StoreError::Invalid(_))),
        )
    });
    assert_eq!(
        got.0,
        vec![RunStatus::Running, RunStatus::Running, RunStatus::Complete]
    );
    assert!(got.1, "an incomplete run is never `latest`");
    assert_eq!((got.2, got.3, got.4), (RunStatus::Complete, 3, true));
}

#[test]
fn rerunning_a_run_skips_images_already_recorded_and_retries_failed_ones() {
    let got = both(|s| {
        let a = obs("django", "CVE-1", "3.2.0", Some("3.2.1"), "HIGH");
        let seq = s.begin_run(&start("r", Shard::WHOLE, 1)).expect("begin");
        s.record_image(
            &scan(seq, "reg/app:1", ScanStatus::Ok, 1),
            std::slice::from_ref(&a),
            &[],
        )
        .expect("ok");
        s.record_image(&scan(seq, "reg/b:1", ScanStatus::Failed, 0), &[], &[])
            .expect("failed");
        // The process died here; the same run id is started again.
        let again = s.begin_run(&start("r", Shard::WHOLE, 2)).expect("again");
        let skip = s
            .record_image(
                &scan(again, "reg/app:1", ScanStatus::Ok, 1),
                std::slice::from_ref(&a),
                &[],
            )
            .expect("skip");
        let retried = s
            .record_image(&scan(again, "reg/b:1", ScanStatus::Ok, 0), &[], &[])
            .expect("retry");
        s.finish_shard(again, 0, 3).expect("finish");
        let run = s.run("r").expect("run");
        (
            seq == again,
            skip,
            retried,
            run.images_ok,
            run.images_failed,
            s.interval_count().expect("n"),
        )
    });
    assert_eq!(
        got,
        (
            true,
            drydock_store::Recorded::AlreadyRecorded,
            drydock_store::Recorded::Written,
            2,
            0,
            1
        )
    );
}

#[test]
fn a_store_from_a_newer_drydock_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("h.db");
    let p = path.to_str().expect("utf-8");
    drop(Store::open(p).expect("create"));
    {
        let c = rusqlite::Connection::open(&path).expect("raw");
        c.execute("INSERT INTO drydock_schema (version) VALUES (99)", [])
            .expect("bump");
    }
    let err = Store::open(p).expect_err("refused");
    assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{err}");
    assert!(err.to_string().contains("upgrade drydock"), "{err}");
}

#[test]
fn opening_is_idempotent_and_migrate_reports_nothing_to_do() {
    let v = both(|s| {
        (
            s.schema_version().expect("v"),
            s.migrate().expect("migrate"),
        )
    });
    assert_eq!(v, (drydock_store::SCHEMA_VERSION, vec![]));
}

#[test]
fn garbage_files_and_unreachable_servers_are_clear_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("junk.db");
    std::fs::write(&path, vec![0x42u8; 8192]).expect("junk");
    let err = Store::open(path.to_str().expect("utf-8")).expect_err("junk refused");
    assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");

    let err = Store::open("postgres://u:hunter2@127.0.0.1:1/db").expect_err("no server");
    let msg = err.to_string();
    assert!(msg.contains("cannot open the store"), "{msg}");
    assert!(!msg.contains("hunter2"), "the password leaked: {msg}");
}

#[test]
fn a_read_only_store_is_still_readable() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("h.db");
    let p = path.to_str().expect("utf-8").to_string();
    {
        let mut s = Store::open(&p).expect("create");
        run_once(
            &mut s,
            "r1",
            1,
            Some(&[obs("a", "CVE-1", "1", None, "LOW")]),
        );
    }
    // A read-only URI, as a mounted read-only volume would be.
    let mut s = Store::open(&format!("file:{p}?mode=ro")).expect("read-only open");
    assert_eq!(s.runs(5).expect("runs").len(), 1);
    let err = s
        .begin_run(&start("r2", Shard::WHOLE, 2))
        .expect_err("no writes");
    assert!(
        matches!(err, StoreError::ReadOnly(_)),
        "expected a read-only error, got {err:?}"
    );
}

#[test]
fn two_writers_at_once_both_land() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("h.db");
    let p = path.to_str().expect("utf-8").to_string();
    drop(Store::open(&p).expect("create"));
    let threads: Vec<_> = (0..2)
        .map(|t| {
            let p = p.clone();
            std::thread::spawn(move || {
                let mut s = Store::open(&p).expect("open");
                for i in 0..20 {
                    let seq = s
                        .begin_run(&start(&format!("t{t}-{i}"), Shard::WHOLE, i))
                        .expect("begin");
                    let o = obs("a", &format!("CVE-{t}"), "1", None, "LOW");
                    s.record_image(
                        &scan(seq, &format!("reg/t{t}:1"), ScanStatus::Ok, 1),
                        std::slice::from_ref(&o),
                        &[],
                    )
                    .expect("record");
                    s.finish_shard(seq, 0, i).expect("finish");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("writer thread");
    }
    let mut s = Store::open(&p).expect("open");
    assert_eq!(s.runs(100).expect("runs").len(), 40);
    assert_eq!(s.interval_count().expect("n"), 2);
}

#[test]
fn a_nul_in_image_text_is_stored_alike_on_both_databases() {
    let got = both(|s| {
        let mut o = obs("evil\0pkg", "CVE-1", "1\0.0", None, "HIGH");
        o.path = Some("usr/lib/\0x".into());
        run_once(s, "r1", 10, Some(std::slice::from_ref(&o)));
        let seq = s.run("latest").expect("run").seq;
        let back = s.observations(seq, "reg/app:1").expect("observations");
        // Read back the same run again: one interval, unchanged.
        run_once(s, "r2", 20, Some(std::slice::from_ref(&o)));
        (
            ids(&back),
            back[0].path.clone(),
            s.interval_count().expect("n"),
        )
    });
    assert_eq!(
        got,
        (
            vec![("evil\u{FFFD}pkg".into(), "1\u{FFFD}.0".into(), None)],
            Some("usr/lib/\u{FFFD}x".into()),
            1
        )
    );
}

#[test]
fn a_store_from_a_pre_release_draft_is_refused_clearly() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("h.db");
    {
        let c = rusqlite::Connection::open(&path).expect("raw");
        c.execute_batch(
            "CREATE TABLE drydock_schema (version BIGINT NOT NULL); \
             INSERT INTO drydock_schema (version) VALUES (1); \
             CREATE TABLE image_scans (reference TEXT);",
        )
        .expect("draft");
    }
    let err = Store::open(path.to_str().expect("utf-8")).expect_err("refused");
    assert!(err.to_string().contains("pre-release"), "{err}");
}

#[test]
fn a_writer_waits_for_a_store_another_process_holds_locked() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("h.db");
    let p = path.to_str().expect("utf-8").to_string();
    drop(Store::open(&p).expect("create"));
    let locker = rusqlite::Connection::open(&path).expect("raw");
    locker.execute_batch("BEGIN EXCLUSIVE").expect("lock");
    let writer = std::thread::spawn(move || {
        let mut s = Store::open(&p).expect("open while locked");
        run_once(
            &mut s,
            "r1",
            10,
            Some(&[obs("a", "CVE-1", "1", None, "LOW")]),
        )
    });
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert!(
        !writer.is_finished(),
        "the writer did not wait for the lock"
    );
    locker.execute_batch("COMMIT").expect("unlock");
    let seq = writer.join().expect("writer");
    let mut s = Store::open(path.to_str().expect("utf-8")).expect("open");
    assert_eq!(s.run("latest").expect("run").seq, seq);
}

#[test]
fn a_postgres_that_drops_the_connection_mid_run_is_a_clear_error_and_the_run_stays_open() {
    let Some(url) = pg_cluster::new_database() else {
        return;
    };
    let mut s = Store::open(&url).expect("open");
    let seq = s.begin_run(&start("r1", Shard::WHOLE, 10)).expect("begin");
    let o = obs("a", "CVE-1", "1", None, "LOW");
    s.record_image(
        &scan(seq, "reg/app:1", ScanStatus::Ok, 1),
        std::slice::from_ref(&o),
        &[],
    )
    .expect("first image");
    // The server ends every other session of the database (what a restart or failover does).
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).expect("admin");
    admin
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
            &[],
        )
        .expect("terminate");
    let err = s
        .record_image(
            &scan(seq, "reg/app:2", ScanStatus::Ok, 1),
            std::slice::from_ref(&o),
            &[],
        )
        .expect_err("the connection is gone");
    assert!(matches!(err, StoreError::Gone(_)), "{err:?}");
    assert!(err.to_string().contains("lost the connection"), "{err}");
    // Nothing was marked complete or fixed: the run is still running, its first image kept.
    let mut again = Store::open(&url).expect("reopen");
    let run = again.run("#1").expect("run");
    assert_eq!(run.status, RunStatus::Running);
    assert_eq!(run.images_ok, 1);
    assert!(
        again.run("latest").is_err(),
        "an unfinished run is not the latest complete one"
    );
}

/// A scan that did not run the secret scanner says nothing about secrets: a secret found
/// before stays as last seen, while the vulnerabilities it did look for are folded as usual.
/// The next scan that looks for secrets again and does not find it closes it.
#[test]
fn kinds_a_scan_did_not_look_for_stay_as_last_seen() {
    let answers = both(|s| {
        let a = obs("django", "CVE-1", "3.2.0", Some("3.2.1"), "HIGH");
        let b = obs("requests", "CVE-2", "2.25.0", None, "MEDIUM");
        let mut secret = obs("/app/.env", "DD-305", "", None, "CRITICAL");
        secret.fingerprint = "fp-secret".into();
        secret.ecosystem = "secret".into();
        secret.pkg_type = "secret".into();
        let only_vulns = drydock_store::Scanned {
            vuln: true,
            misconfig: false,
            secret: false,
        };
        let mut run = |id: &str, at: i64, found: &[Observation], scanned| {
            let seq = s.begin_run(&start(id, Shard::WHOLE, at)).expect("begin");
            let vulns: Vec<VulnInfo> = found.iter().map(|o| vuln(&o.vuln_id)).collect();
            s.record_image_scanned(
                &scan(seq, "reg/app:1", ScanStatus::Ok, found.len()),
                found,
                &vulns,
                scanned,
            )
            .expect("record");
            s.finish_shard(seq, 0, at + 1).expect("finish");
            seq
        };
        let all = drydock_store::Scanned::ALL;
        let r1 = run("r1", 100, &[a.clone(), secret.clone()], all);
        // Vulnerabilities only: `a` is gone, `b` is new, the secret was not looked for.
        let r2 = run("r2", 200, std::slice::from_ref(&b), only_vulns);
        // Everything looked for, the secret not found: it is gone now.
        let r3 = run("r3", 300, std::slice::from_ref(&b), all);
        [r1, r2, r3]
            .iter()
            .map(|r| {
                s.observations(*r, "reg/app:1")
                    .expect("observations")
                    .into_iter()
                    .map(|o| o.vuln_id)
                    .collect::<Vec<_>>()
            })
            .collect::<Vec<_>>()
    });
    assert_eq!(
        answers,
        vec![
            vec!["CVE-1".to_string(), "DD-305".into()],
            vec!["CVE-2".to_string(), "DD-305".into()],
            vec!["CVE-2".to_string()],
        ]
    );
}
