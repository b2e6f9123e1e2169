//! History at scale (bench/history.sh runs it): a synthetic fleet of IMAGES images scanned
//! RUNS times, FINDINGS findings per image, CHURN per mille of them replaced every run,
//! recorded into a store (SQLite file or `postgres://…`); prints the median ingest time of one
//! run, the store size, the time of a whole-fleet diff of the last two runs and of one image's
//! history.
//!
//! ```sh
//! cargo run --release -p drydock-fleet --example history_scale -- STORE [IMAGES RUNS FINDINGS CHURN]
//! ```

use std::time::Instant;

use drydock_fleet::diff::{self, KeyBy};
use drydock_store::{ImageScan, Observation, RunStart, ScanStatus, Shard, Store};

fn obs(image: usize, n: usize) -> Observation {
    let repository = format!("registry.example/team/app-{image:04}");
    let package = format!("pkg-{}", n % 97);
    let vuln_id = format!("CVE-2026-{n:06}");
    Observation {
        fingerprint: format!("{image:04}-{n:08}"),
        repository,
        ecosystem: "pypi".into(),
        package,
        vuln_id: vuln_id.clone(),
        advisory_id: vuln_id,
        installed: format!("1.{}.0", n % 13),
        fixed: n.is_multiple_of(3).then(|| format!("1.{}.1", n % 13)),
        severity: ["LOW", "MEDIUM", "HIGH", "CRITICAL"][n % 4].into(),
        status: "fixed".into(),
        pkg_type: "python-pkg".into(),
        layer: Some(format!("sha256:{:064x}", n % 7)),
        path: Some(format!("usr/lib/python3/site-packages/pkg_{}", n % 97)),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let store_loc = args
        .first()
        .ok_or("usage: history_scale STORE [IMAGES RUNS FINDINGS CHURN‰]")?;
    let num = |i: usize, d: usize| args.get(i).and_then(|s| s.parse().ok()).unwrap_or(d);
    let (images, runs, findings, churn) = (num(1, 1000), num(2, 365), num(3, 200), num(4, 10));
    let mut store = Store::open(store_loc)?;
    let mut ingest = Vec::with_capacity(runs);
    // Each image's current finding numbers; churn replaces the oldest ones.
    let mut current: Vec<std::collections::VecDeque<usize>> = (0..images)
        .map(|i| (0..findings).map(|n| i * 1_000_000 + n).collect())
        .collect();
    let mut next: Vec<usize> = (0..images).map(|i| i * 1_000_000 + findings).collect();
    let per_run = (findings * churn).div_ceil(1000);
    for r in 0..runs {
        let t = Instant::now();
        let seq = store.begin_run(&RunStart {
            run_id: format!("day-{r:04}"),
            shard: Shard::WHOLE,
            images_planned: images,
            drydock_version: "bench".into(),
            db_built_at: None,
            db_sources: None,
            fleet_digest: None,
            fleet_path: None,
            started_at: 1_700_000_000 + r as i64 * 86_400,
        })?;
        for i in 0..images {
            if r > 0 {
                for _ in 0..per_run {
                    current[i].pop_front();
                    current[i].push_back(next[i]);
                    next[i] += 1;
                }
            }
            let o: Vec<Observation> = current[i].iter().map(|&n| obs(i, n)).collect();
            let scan = ImageScan {
                run_seq: seq,
                reference: format!("registry.example/team/app-{i:04}:1"),
                repository: format!("registry.example/team/app-{i:04}"),
                releases: vec![("v1".into(), i as i64)],
                status: ScanStatus::Ok,
                error: None,
                digest: None,
                platform: None,
                os: None,
                package_count: 300,
                finding_count: o.len() as i64,
                layers_analysed: 0,
                layers_cached: 5,
                started_at: 0,
                finished_at: 0,
                shard_index: 0,
                sources: vec![],
                labels: Default::default(),
                mirrored: false,
            };
            store.record_image(&scan, &o, &[])?;
        }
        store.finish_shard(seq, 0, 1_700_000_000 + r as i64 * 86_400 + 3600)?;
        let el = t.elapsed().as_secs_f64();
        ingest.push(el);
        if r.is_multiple_of(30) || r + 1 == runs {
            eprintln!(
                "run {r}: ingest {el:.2} s, {} intervals",
                store.interval_count()?
            );
        }
    }
    ingest.sort_by(f64::total_cmp);
    // RUNS = 0 measures the queries on an existing store.
    let median = ingest.get(ingest.len() / 2).copied().unwrap_or(f64::NAN);

    let t = Instant::now();
    let (a, b) = diff::sides_from_runs(
        &mut store,
        ("previous", None),
        ("latest", None),
        None,
        KeyBy::ReleaseAndRepository,
    )?;
    let t_sides = t.elapsed().as_secs_f64();
    let seq_a = a.seq.unwrap_or(0);
    let mut history = diff::StoreHistory::new(&mut store, seq_a, |_, _| None);
    let d = diff::diff(&a, &b, KeyBy::ReleaseAndRepository, false, &mut history)?;
    let diff_s = t.elapsed().as_secs_f64();
    eprintln!(
        "diff: both sides {t_sides:.3} s, comparison {:.3} s",
        diff_s - t_sides
    );

    let t = Instant::now();
    let h = store.image_history("registry.example/team/app-0007", 1000)?;
    let obs_now = store.observations(b.seq.unwrap_or(0), "registry.example/team/app-0007:1")?;
    let hist_ms = t.elapsed().as_secs_f64() * 1000.0;

    let size = if store_loc.starts_with("postgres") {
        "see pg_database_size".to_string()
    } else {
        let mut bytes = 0;
        for ext in ["", "-wal", "-shm"] {
            bytes += std::fs::metadata(format!("{store_loc}{ext}")).map_or(0, |m| m.len());
        }
        format!("{:.1} MB", bytes as f64 / 1e6)
    };
    println!(
        "images={images} runs={runs} findings={findings} churn={churn}‰ | ingest median {median:.3} s/run | store {size} | intervals {} | diff of the last two runs {diff_s:.3} s ({} entries) | one image's history {hist_ms:.1} ms ({} scans, {} findings now)",
        store.interval_count()?,
        d.totals.values().sum::<usize>(),
        h.len(),
        obs_now.len()
    );
    Ok(())
}
