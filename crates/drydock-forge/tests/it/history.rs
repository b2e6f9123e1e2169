//! Fills a history store the way `drydock fleet scan` does: runs begun, image scans recorded
//! (ok with observations, or failed), shards finished.

use drydock_match::identity;
use drydock_package::Ecosystem;
use drydock_store::{ImageScan, Observation, RunStart, ScanStatus, Shard, Store, VulnInfo};

/// One finding of an image: (vulnerability id, package, installed, fixed, severity).
pub type F<'a> = (&'a str, &'a str, &'a str, Option<&'a str>, &'a str);

pub enum Img<'a> {
    Ok(&'a str, &'a [&'a str], &'a [F<'a>]),
    Failed(&'a str, &'a [&'a str], &'a str),
}

pub fn store(dir: &tempfile::TempDir) -> Store {
    Store::open(&dir.path().join("history.db").to_string_lossy()).expect("open store")
}

/// Records one complete run; returns its sequence number.
pub fn run(store: &mut Store, run_id: &str, at: i64, images: &[Img<'_>]) -> i64 {
    let seq = store
        .begin_run(&RunStart {
            run_id: run_id.into(),
            shard: Shard::WHOLE,
            images_planned: images.len(),
            drydock_version: "test".into(),
            db_built_at: None,
            db_sources: None,
            fleet_digest: None,
            fleet_path: None,
            started_at: at,
        })
        .expect("begin run");
    for img in images {
        let (reference, releases, status, error, findings): (&str, &[&str], _, _, &[F<'_>]) =
            match img {
                Img::Ok(r, rel, f) => (r, rel, ScanStatus::Ok, None, f),
                Img::Failed(r, rel, e) => (r, rel, ScanStatus::Failed, Some(e.to_string()), &[]),
            };
        let repository = identity::repository(reference);
        let obs: Vec<Observation> = findings
            .iter()
            .map(|(id, pkg, inst, fixed, sev)| Observation {
                fingerprint: identity::fingerprint(&repository, Ecosystem::Deb, pkg, id),
                repository: repository.clone(),
                ecosystem: "deb".into(),
                package: pkg.to_string(),
                vuln_id: id.to_string(),
                advisory_id: id.to_string(),
                installed: inst.to_string(),
                fixed: fixed.map(str::to_string),
                severity: sev.to_string(),
                status: if fixed.is_some() { "fixed" } else { "affected" }.into(),
                pkg_type: "debian".into(),
                layer: None,
                path: Some("var/lib/dpkg/status".into()),
            })
            .collect();
        let vulns: Vec<VulnInfo> = findings
            .iter()
            .map(|(id, pkg, ..)| VulnInfo {
                vuln_id: id.to_string(),
                title: Some(format!("{pkg}: a flaw ({id})")),
                description: None,
                url: Some(format!("https://security-tracker.debian.org/tracker/{id}")),
                aliases: Vec::new(),
                cvss_score: None,
                cvss_vector: None,
            })
            .collect();
        let scan = ImageScan {
            run_seq: seq,
            reference: reference.to_string(),
            repository,
            releases: releases
                .iter()
                .enumerate()
                .map(|(i, r)| (r.to_string(), i as i64))
                .collect(),
            status,
            error,
            digest: Some(format!("sha256:{}", "ab".repeat(32))),
            platform: Some("linux/amd64".into()),
            os: Some("debian 12".into()),
            package_count: 100,
            finding_count: obs.len() as i64,
            layers_analysed: 1,
            layers_cached: 0,
            started_at: at,
            finished_at: at + 1,
            shard_index: 0,
            sources: vec!["chart-app:1.2.3".into()],
            labels: Default::default(),
            mirrored: false,
        };
        store
            .record_image(&scan, &obs, &vulns)
            .expect("record image");
    }
    store.finish_shard(seq, 0, at + 10).expect("finish shard");
    seq
}
