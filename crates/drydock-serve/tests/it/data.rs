//! Test data: real scans of the shared images (a DB built from the shared feeds, scanned with
//! drydock-scan, the code behind `drydock image --format json`), recorded into a store as three
//! runs, plus one image whose advisory text is hostile markup.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::OnceLock;

use drydock_advisory::Db;
use drydock_report::TargetReport;
use drydock_scan::{Kind, ScanSettings, TargetSpec};
use drydock_store::{
    ImageScan, Observation, RunStart, ScanStatus, Shard, Store, VulnInfo, observations_from_report,
};

/// The corpus image (Debian with language packages): most findings.
pub const APP: &str = "registry.example/debian-app:1.4";
pub const APP_REPO: &str = "registry.example/debian-app";
/// Alpine 3.10: no findings with the shared feeds (a clean image).
pub const ALPINE: &str = "registry.example/alpine:3.10";
pub const ALPINE_REPO: &str = "registry.example/alpine";
pub const MINI: &str = "registry.example/minirootfs:3.7.3";
pub const MINI_REPO: &str = "registry.example/minirootfs";
pub const EVIL: &str = "registry.example/evil:1";
pub const EVIL_REPO: &str = "registry.example/evil";
pub const EVIL_VULN: &str = "CVE-2099-0001";
pub const EVIL_TITLE: &str =
    "<script>window.__xss=1</script><img src=x onerror=\"window.__xss=2\">";
pub const EVIL_DESC: &str = "**Markdown** <b onmouseover=alert(1)>bold</b> <svg onload=alert(2)></svg> <iframe src=javascript:alert(3)>";
/// The release the newest run lists.
pub const RELEASE: &str = "5.1";
/// Run start times: a day apart.
pub const T0: i64 = 1_780_000_000;

pub fn shared() -> PathBuf {
    std::env::var_os("DRYDOCK_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
}

fn db(dir: &std::path::Path) -> Db {
    let path = dir.join("drydock.db");
    drydock_advisory::build(&[shared().join("data/advisories")], &path)
        .expect("the shared feeds build a DB");
    Db::open(&path).expect("the DB opens")
}

/// The corpus image (`.ci/setup.d/corpus.sh`): a panic when missing (every test needs it).
fn corpus_archive() -> PathBuf {
    let dir = std::env::var_os("DRYDOCK_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/cache/drydock-ci/corpus"));
    let p = dir.join("debian-app/docker-archive.tar");
    assert!(
        p.is_file(),
        "the corpus image is missing at {} (.ci/setup.d/corpus.sh)",
        p.display()
    );
    p
}

fn scan(db: &Db, file: &str) -> TargetReport {
    let p = if file == "corpus" {
        corpus_archive()
    } else {
        shared().join("data/images").join(file)
    };
    let mut spec = TargetSpec::new(p.to_string_lossy().as_ref());
    spec.no_cache = true;
    let mut out = drydock_scan::scan(&spec, Kind::Image, db, &ScanSettings::default())
        .unwrap_or_else(|e| panic!("{file} scans: {e}"));
    out.report.targets.remove(0)
}

/// The corpus image, the minirootfs and Alpine 3.10, scanned once per test process.
pub fn targets() -> &'static (TargetReport, TargetReport, TargetReport) {
    static T: OnceLock<(TargetReport, TargetReport, TargetReport)> = OnceLock::new();
    T.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temp dir");
        let db = db(dir.path());
        (
            scan(&db, "corpus"),
            scan(&db, "alpine-3.7.3-minirootfs.tar.gz"),
            scan(&db, "alpine-3.10.docker-archive.tar.gz"),
        )
    })
}

fn image(
    seq: i64,
    reference: &str,
    repository: &str,
    releases: &[&str],
    t: Option<&TargetReport>,
    at: i64,
) -> ImageScan {
    ImageScan {
        run_seq: seq,
        reference: reference.into(),
        repository: repository.into(),
        releases: releases
            .iter()
            .enumerate()
            .map(|(i, r)| (r.to_string(), i as i64))
            .collect(),
        status: if t.is_some() {
            ScanStatus::Ok
        } else {
            ScanStatus::Failed
        },
        error: t.is_none().then(|| "layer sha256:0bad truncated".into()),
        digest: t.and_then(|t| t.digest.clone()),
        platform: t.and_then(|t| t.platform.clone()),
        os: t.and_then(|t| {
            t.os.as_ref()
                .map(|o| format!("{} {}", o.family.as_str(), o.version))
        }),
        package_count: t.map(|t| t.packages.len() as i64).unwrap_or_default(),
        finding_count: t.map(|t| t.findings.len() as i64).unwrap_or_default(),
        layers_analysed: 1,
        layers_cached: 0,
        started_at: at,
        finished_at: at + 5,
        shard_index: 0,
        sources: Vec::new(),
        labels: Default::default(),
        mirrored: false,
    }
}

fn evil_observation() -> (Vec<Observation>, Vec<VulnInfo>) {
    (
        vec![Observation {
            fingerprint: format!("{EVIL_REPO}|apk|busybox|{EVIL_VULN}"),
            repository: EVIL_REPO.into(),
            ecosystem: "apk".into(),
            package: "busybox<img src=x onerror=alert(4)>".into(),
            vuln_id: EVIL_VULN.into(),
            advisory_id: EVIL_VULN.into(),
            installed: "1.0\"><script>alert(5)</script>".into(),
            fixed: Some("2.0".into()),
            severity: "CRITICAL".into(),
            status: "fixed".into(),
            pkg_type: "alpine".into(),
            layer: Some("sha256:feed".into()),
            path: Some("lib/apk/db/installed".into()),
        }],
        vec![VulnInfo {
            vuln_id: EVIL_VULN.into(),
            title: Some(EVIL_TITLE.into()),
            description: Some(EVIL_DESC.into()),
            url: Some("javascript:alert(6)".into()),
            aliases: vec!["GHSA-<b>x</b>".into()],
            cvss_score: Some("9.8".into()),
            cvss_vector: None,
        }],
    )
}

fn start(run_id: &str, at: i64) -> RunStart {
    RunStart {
        run_id: run_id.into(),
        shard: Shard::WHOLE,
        images_planned: 3,
        drydock_version: "test".into(),
        db_built_at: Some("2026-11-20T00:00:00Z".into()),
        db_sources: None,
        fleet_digest: None,
        fleet_path: None,
        started_at: at,
    }
}

/// Fills a store with three complete runs:
/// 1. release 5.0: the corpus app, the minirootfs without its last finding (so it is "new"
///    in run 2), Alpine 3.10 (clean);
/// 2. releases 5.0 and 5.1: the same, everything found;
/// 3. (newest) release 5.1: the app ok, the minirootfs failed, Alpine, and the hostile image:
///    "new since last run" is the hostile image's finding only.
pub fn fill(store: &mut Store) {
    let (app, mini, alpine) = targets();
    let (a_obs, a_v) = observations_from_report(app, APP_REPO);
    let (m_obs, m_v) = observations_from_report(mini, MINI_REPO);
    let (c_obs, c_v) = observations_from_report(alpine, ALPINE_REPO);
    assert!(
        a_obs.len() > 20 && m_obs.len() >= 2,
        "the images have findings"
    );
    let (e_obs, e_v) = evil_observation();

    let at = T0;
    let s1 = store.begin_run(&start("run-1", at)).expect("begin run 1");
    let rec = |store: &mut Store, scan: ImageScan, o: &[Observation], v: &[VulnInfo]| {
        store.record_image(&scan, o, v).expect("record");
    };
    rec(
        store,
        image(s1, APP, APP_REPO, &["5.0"], Some(app), at),
        &a_obs,
        &a_v,
    );
    rec(
        store,
        image(s1, MINI, MINI_REPO, &["5.0"], Some(mini), at),
        &m_obs[..m_obs.len() - 1],
        &m_v,
    );
    rec(
        store,
        image(s1, ALPINE, ALPINE_REPO, &["5.0"], Some(alpine), at),
        &c_obs,
        &c_v,
    );
    store.finish_shard(s1, 0, at + 60).expect("finish");

    let at = T0 + 86_400;
    let s2 = store.begin_run(&start("run-2", at)).expect("begin run 2");
    let both = ["5.0", RELEASE];
    rec(
        store,
        image(s2, APP, APP_REPO, &both, Some(app), at),
        &a_obs,
        &a_v,
    );
    rec(
        store,
        image(s2, MINI, MINI_REPO, &both, Some(mini), at),
        &m_obs,
        &m_v,
    );
    rec(
        store,
        image(s2, ALPINE, ALPINE_REPO, &both, Some(alpine), at),
        &c_obs,
        &c_v,
    );
    store.finish_shard(s2, 0, at + 60).expect("finish");

    let at = T0 + 2 * 86_400;
    let s3 = store.begin_run(&start("run-3", at)).expect("begin run 3");
    rec(
        store,
        image(s3, APP, APP_REPO, &[RELEASE], Some(app), at),
        &a_obs,
        &a_v,
    );
    rec(
        store,
        image(s3, MINI, MINI_REPO, &[RELEASE], None, at),
        &[],
        &[],
    );
    rec(
        store,
        image(s3, ALPINE, ALPINE_REPO, &[RELEASE], Some(alpine), at),
        &c_obs,
        &c_v,
    );
    let mut evil_scan = image(s3, EVIL, EVIL_REPO, &[RELEASE], Some(alpine), at);
    evil_scan.finding_count = 1;
    rec(store, evil_scan, &e_obs, &e_v);
    store.finish_shard(s3, 0, at + 60).expect("finish");
}

/// The observations of the app image (for picking a finding to triage).
pub fn app_observations() -> Vec<Observation> {
    observations_from_report(&targets().0, APP_REPO).0
}

/// Live findings of release 5.1 in run 3: the app's, Alpine's and the hostile one.
pub fn latest_count() -> u64 {
    let (app, _, alpine) = targets();
    (observations_from_report(app, APP_REPO).0.len()
        + observations_from_report(alpine, ALPINE_REPO).0.len()
        + 1) as u64
}

/// A SQLite store in a temp dir, filled; and a PostgreSQL one when the cluster helper has one.
pub struct Filled {
    pub backend: &'static str,
    pub location: String,
    _dir: Option<tempfile::TempDir>,
}

pub fn sqlite() -> Filled {
    let dir = tempfile::tempdir().expect("a temp dir");
    let location = dir.path().join("history.db").to_string_lossy().into_owned();
    fill(&mut Store::open(&location).expect("a SQLite store"));
    Filled {
        backend: "sqlite",
        location,
        _dir: Some(dir),
    }
}

pub fn postgres() -> Option<Filled> {
    let url = crate::pg_cluster::new_database()?;
    fill(&mut Store::open(&url).expect("a PostgreSQL store"));
    Some(Filled {
        backend: "postgres",
        location: url,
        _dir: None,
    })
}

/// Both backends (PostgreSQL when available; required in CI by the cluster helper).
pub fn backends() -> Vec<Filled> {
    let mut v = vec![sqlite()];
    v.extend(postgres());
    v
}
