//! A diff of two runs that counts unchanged findings instead of loading them
//! ([`diff::sides_from_runs`]) gives the report that loading both runs whole
//! ([`diff::side_from_run`]) gives: on a synthetic history with churn, changed attributes,
//! failed and missing scans, an image under two releases and a repository under two tags,
//! on SQLite and on PostgreSQL.

#[path = "../../drydock-store/tests/pg_cluster.rs"]
mod pg_cluster;

use drydock_fleet::diff::{self, KeyBy, NoHistory};
use drydock_store::{ImageScan, Observation, RunStart, ScanStatus, Shard, Store};

/// A small deterministic generator (the test must not depend on a seed source).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

fn obs(repository: &str, n: u64, variant: u64) -> Observation {
    let vuln_id = format!("CVE-2026-{n:05}");
    Observation {
        fingerprint: format!("{repository}|{n}"),
        repository: repository.into(),
        ecosystem: "debian".into(),
        package: format!("pkg{}", n % 7),
        vuln_id: vuln_id.clone(),
        advisory_id: if n.is_multiple_of(5) {
            format!("DSA-{n}")
        } else {
            vuln_id
        },
        installed: format!("1.{}", n % 3),
        fixed: (variant % 2 == 1).then(|| "9.9".to_string()),
        severity: ["LOW", "MEDIUM", "HIGH", "CRITICAL"][(variant / 2 % 4) as usize].into(),
        status: "fixed".into(),
        pkg_type: "debian".into(),
        layer: (!n.is_multiple_of(4)).then(|| format!("sha256:{:064x}", n % 3)),
        path: n.is_multiple_of(6).then(|| format!("usr/lib/p{n}")),
    }
}

/// Reference, repository, releases listing it.
type Image = (String, String, Vec<(String, i64)>);
/// Side A's release filter, side B's, the image filter, the pairing.
type Case<'a> = (
    Option<&'a [String]>,
    Option<&'a [String]>,
    Option<&'a str>,
    KeyBy,
);

/// Records 5 runs of 10 references and returns the store.
fn history(store: &mut Store) {
    let images: Vec<Image> = (0..10)
        .map(|i| {
            let repo = format!("reg.example/app-{}", i.min(8));
            // app-8 has two tags in release r1; app-3 is in both releases.
            let reference = format!("{repo}:{}", if i == 9 { 2 } else { 1 });
            let rels = match i {
                3 => vec![("r1".to_string(), 0), ("r2".to_string(), 0)],
                i if i % 2 == 0 || i >= 8 => vec![("r1".to_string(), i)],
                i => vec![("r2".to_string(), i)],
            };
            (reference, repo, rels)
        })
        .collect();
    let mut rng = Lcg(7);
    // Per image: finding number → attribute variant.
    let mut state: Vec<std::collections::BTreeMap<u64, u64>> = (0..images.len())
        .map(|_| (0..12).map(|n| (n, rng.next(8))).collect())
        .collect();
    let mut next = 100;
    for run in 0..5i64 {
        let seq = store
            .begin_run(&RunStart {
                run_id: format!("run-{run}"),
                shard: Shard::WHOLE,
                images_planned: images.len(),
                drydock_version: "test".into(),
                db_built_at: None,
                db_sources: None,
                fleet_digest: None,
                fleet_path: None,
                started_at: 1_700_000_000 + run * 86_400,
            })
            .expect("begin");
        for (i, (reference, repository, releases)) in images.iter().enumerate() {
            if run > 0 {
                let f = &mut state[i];
                // Churn: drop one, add one, change one's attributes.
                if let Some(&k) = f.keys().nth(rng.next(f.len() as u64) as usize) {
                    f.remove(&k);
                }
                // Sometimes an old finding comes back (reappeared).
                let add = if rng.next(3) == 0 { rng.next(12) } else { next };
                next += 1;
                f.insert(add, rng.next(8));
                let pick = rng.next(f.len() as u64) as usize;
                if let Some(v) = f.values_mut().nth(pick) {
                    *v = rng.next(8);
                }
            }
            // Image 5 is missing from run 2; image 6 fails in runs 1 and 3.
            if i == 5 && run == 2 {
                continue;
            }
            let failed = i == 6 && run % 2 == 1;
            let o: Vec<Observation> = if failed {
                Vec::new()
            } else {
                state[i]
                    .iter()
                    .map(|(&n, &v)| obs(repository, n, v))
                    .collect()
            };
            let scan = ImageScan {
                run_seq: seq,
                reference: reference.clone(),
                repository: repository.clone(),
                releases: releases.clone(),
                status: if failed {
                    ScanStatus::Failed
                } else {
                    ScanStatus::Ok
                },
                error: failed.then(|| "pull failed".to_string()),
                digest: None,
                platform: None,
                os: None,
                package_count: 10,
                finding_count: o.len() as i64,
                layers_analysed: 1,
                layers_cached: 0,
                started_at: 0,
                finished_at: 0,
                shard_index: 0,
                sources: vec![],
                labels: Default::default(),
                mirrored: false,
            };
            store.record_image(&scan, &o, &[]).expect("record");
        }
        store
            .finish_shard(seq, 0, 1_700_000_000 + run * 86_400 + 60)
            .expect("finish");
    }
}

fn check(store: &mut Store) {
    history(store);
    let r1 = vec!["r1".to_string()];
    let r2 = vec!["r2".to_string()];
    let mut compared = 0;
    for a in 0..5 {
        for b in 0..5 {
            if a == b {
                continue;
            }
            let (ra, rb) = (format!("run-{a}"), format!("run-{b}"));
            let cases: Vec<Case> = vec![
                (None, None, None, KeyBy::ReleaseAndRepository),
                (Some(&r1), Some(&r1), None, KeyBy::ReleaseAndRepository),
                (
                    None,
                    None,
                    Some("reg.example/app-3"),
                    KeyBy::ReleaseAndRepository,
                ),
                (Some(&r1), Some(&r2), None, KeyBy::Repository),
                (Some(&r2), Some(&r2), None, KeyBy::Repository),
            ];
            for (rel_a, rel_b, image, key_by) in cases {
                let full_a = diff::side_from_run(store, &ra, rel_a, image).expect("side a");
                let full_b = diff::side_from_run(store, &rb, rel_b, image).expect("side b");
                let full =
                    diff::diff(&full_a, &full_b, key_by, false, &mut NoHistory).expect("full diff");
                let (fast_a, fast_b) =
                    diff::sides_from_runs(store, (&ra, rel_a), (&rb, rel_b), image, key_by)
                        .expect("sides");
                let fast =
                    diff::diff(&fast_a, &fast_b, key_by, false, &mut NoHistory).expect("fast diff");
                let what = format!("{ra} → {rb}, {rel_a:?}/{rel_b:?}, {image:?}, {key_by:?}");
                assert_eq!(fast.totals, full.totals, "{what}");
                assert_eq!(fast.images, full.images, "{what}");
                assert_eq!(fast.entries, full.entries, "{what}");
                compared += 1;
            }
        }
    }
    // The comparison saw every category that a run diff can produce here.
    let full_a = diff::side_from_run(store, "run-2", None, None).expect("a");
    let full_b = diff::side_from_run(store, "run-3", None, None).expect("b");
    let d = diff::diff(
        &full_a,
        &full_b,
        KeyBy::ReleaseAndRepository,
        false,
        &mut NoHistory,
    )
    .expect("diff");
    for c in [
        diff::Category::New,
        diff::Category::Changed,
        diff::Category::Resolved,
        diff::Category::NotScanned,
        diff::Category::Unchanged,
    ] {
        assert!(
            d.totals.get(&c).copied().unwrap_or(0) > 0,
            "no {c:?}: {:?}",
            d.totals
        );
    }
    assert_eq!(compared, 20 * 5);
}

#[test]
fn counting_unchanged_findings_gives_the_diff_loading_them_gives() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut sqlite = Store::open(tmp.path().join("h.db").to_str().expect("utf-8")).expect("open");
    check(&mut sqlite);
    if let Some(url) = pg_cluster::new_database() {
        let mut pg = Store::open(&url).expect("open pg");
        check(&mut pg);
    }
}
