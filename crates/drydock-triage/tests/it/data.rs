//! Test data: real scans of the shared images and the corpus image (with a DB built from the
//! shared feeds), stores on both backends, and stores filled with runs of those scans.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use drydock_advisory::Db;
use drydock_policy::Date;
use drydock_report::TargetReport;
use drydock_scan::{Kind, ScanOutcome, ScanSettings, Suppressor, TargetSpec};
use drydock_store::{ImageScan, RunStart, ScanStatus, Shard, Store};

pub fn shared() -> PathBuf {
    std::env::var_os("DRYDOCK_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
}

/// The corpus image (`.ci/setup.d/corpus.sh`); `None` (skip) when it is not built, a panic in CI.
pub fn corpus_archive() -> Option<PathBuf> {
    let dir = std::env::var_os("DRYDOCK_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/cache/drydock-ci/corpus"));
    let p = dir.join("debian-app/docker-archive.tar");
    if p.is_file() {
        Some(p)
    } else if std::env::var_os("CI").is_some() {
        panic!(
            "the corpus image is missing at {} (.ci/setup.d/corpus.sh)",
            p.display()
        );
    } else {
        eprintln!("skipping: no corpus image at {}", p.display());
        None
    }
}

/// A vulnerability DB built once per test process from `../shared/data/advisories`.
pub fn db_path() -> &'static Path {
    static DB: OnceLock<PathBuf> = OnceLock::new();
    DB.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temp dir").keep();
        let path = dir.join("drydock.db");
        drydock_advisory::build(&[shared().join("data/advisories")], &path)
            .expect("the shared feeds build a DB");
        path
    })
}

pub fn scan_with(
    image: &Path,
    releases: &[&str],
    suppressor: Option<Arc<dyn Suppressor>>,
    today: Date,
) -> ScanOutcome {
    let settings = ScanSettings {
        today: Some(today),
        suppressor,
        releases: releases.iter().map(|s| s.to_string()).collect(),
        gate_requested: true,
        ..ScanSettings::default()
    };
    drydock_scan::scan(
        &TargetSpec::new(image.to_string_lossy().as_ref()),
        Kind::Image,
        &Db::open(db_path()).expect("the DB opens"),
        &settings,
    )
    .expect("the image scans")
}

/// The scanned target of an image (no triage).
pub fn target(image: &Path) -> TargetReport {
    let today = Date::new(2026, 1, 1).expect("valid");
    let mut out = scan_with(image, &[], None, today);
    out.report.targets.remove(0)
}

/// The scans the publishing and handbook tests use: the corpus image and the two shared
/// Alpine images, each as `(name, target)`.
pub fn targets() -> &'static [(String, TargetReport)] {
    static T: OnceLock<Vec<(String, TargetReport)>> = OnceLock::new();
    T.get_or_init(|| {
        let mut v = Vec::new();
        if let Some(c) = corpus_archive() {
            v.push(("corpus".to_string(), target(&c)));
        }
        for name in ["alpine-3.7.3-minirootfs", "alpine-3.10.docker-archive"] {
            let p = shared().join(format!("data/images/{name}.tar.gz"));
            v.push((name.to_string(), target(&p)));
        }
        v
    })
}

pub fn target_named(name: &str) -> Option<&'static TargetReport> {
    targets().iter().find(|(n, _)| n == name).map(|(_, t)| t)
}

/// A store on each backend: SQLite always, PostgreSQL when the cluster helper has one.
pub struct TestStore {
    pub backend: &'static str,
    pub location: String,
    pub store: Store,
    _dir: Option<tempfile::TempDir>,
}

pub fn stores() -> Vec<TestStore> {
    let dir = tempfile::tempdir().expect("a temp dir");
    let location = dir.path().join("history.db").to_string_lossy().into_owned();
    let mut v = vec![TestStore {
        backend: "sqlite",
        store: Store::open(&location).expect("a SQLite store"),
        location,
        _dir: Some(dir),
    }];
    if let Some(url) = crate::pg_cluster::new_database() {
        v.push(TestStore {
            backend: "postgres",
            store: Store::open(&url).expect("a PostgreSQL store"),
            location: url,
            _dir: None,
        });
    }
    v
}

/// One image of a run: its reference, the scan it got (by name in [`targets`]), mirrored.
pub struct Img<'a> {
    pub reference: &'a str,
    pub target: &'a str,
    pub mirrored: bool,
}

/// Records a complete run: every release with its images (fleet order), each image once.
pub fn record_run(
    store: &mut Store,
    run_id: &str,
    at: i64,
    releases: &[(&str, Vec<Img<'_>>)],
) -> i64 {
    let mut order: Vec<&Img<'_>> = Vec::new();
    for (_, imgs) in releases {
        for i in imgs {
            if !order.iter().any(|o| o.reference == i.reference) {
                order.push(i);
            }
        }
    }
    let seq = store
        .begin_run(&RunStart {
            run_id: run_id.to_string(),
            shard: Shard::WHOLE,
            images_planned: order.len(),
            drydock_version: "test".into(),
            db_built_at: Some("2026-12-01T00:00:00Z".into()),
            db_sources: Some("osv, alpine-secdb, nvd".into()),
            fleet_digest: None,
            fleet_path: None,
            started_at: at,
        })
        .expect("run starts");
    for img in order {
        let t = target_named(img.target).expect("a scanned target");
        let repository = drydock_match::identity::repository(img.reference);
        let (obs, vulns) = drydock_store::observations_from_report(t, &repository);
        let rel: Vec<(String, i64)> = releases
            .iter()
            .filter_map(|(name, imgs)| {
                imgs.iter()
                    .position(|i| i.reference == img.reference)
                    .map(|p| (name.to_string(), p as i64))
            })
            .collect();
        let scan = ImageScan {
            run_seq: seq,
            reference: img.reference.to_string(),
            repository,
            releases: rel,
            status: ScanStatus::Ok,
            error: None,
            digest: None,
            platform: Some("linux/amd64".into()),
            os: t.os.as_ref().map(|o| o.family.as_str().to_string()),
            package_count: 0,
            finding_count: obs.len() as i64,
            layers_analysed: 0,
            layers_cached: 0,
            started_at: at,
            finished_at: at,
            shard_index: 0,
            sources: Vec::new(),
            labels: Default::default(),
            mirrored: img.mirrored,
        };
        store
            .record_image(&scan, &obs, &vulns)
            .expect("image recorded");
    }
    store.finish_shard(seq, 0, at + 60).expect("run finished");
    seq
}
