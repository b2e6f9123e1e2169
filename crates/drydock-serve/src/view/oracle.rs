//! The views as they were computed before [`crate::index`]: every finding of the run loaded
//! per request through [`rows`] and filtered, sorted and counted by [`Filter::apply`]. Kept
//! for the tests, which check that the indexed views show the same.

use std::collections::BTreeMap;

use drydock_policy::Date;
use drydock_store::{ImageScan, LiveQuery, ScanStatus, Store};

use super::*;

pub fn overview(store: &mut Store, today: Date) -> Result<Overview, AppError> {
    let expiring_soon = expiring(store, today, 14)?.len();
    let Some(run) = latest(store)? else {
        return Ok(Overview {
            run: None,
            releases: Vec::new(),
            needs_triage: 0,
            new_since_last_run: 0,
            expiring_soon,
        });
    };
    let all = rows(
        store,
        &LiveQuery {
            run_seq: run.seq,
            ..LiveQuery::default()
        },
        today,
    )?;
    let images = store.images(run.seq)?;
    let names = store.releases(run.seq)?;
    let mut releases = Vec::new();
    let summary = |name: Option<&str>, store: &mut Store| -> Result<ReleaseSummary, AppError> {
        let in_release =
            |rels: &[String]| name.is_none_or(|n| rels.iter().any(|r| r.as_str() == n));
        let imgs: Vec<&ImageScan> = images
            .iter()
            .filter(|s| in_release(&s.releases.iter().map(|r| r.0.clone()).collect::<Vec<_>>()))
            .collect();
        let failed = imgs
            .iter()
            .filter(|s| s.status == ScanStatus::Failed)
            .count();
        let mine: Vec<&FindingRow> = all.iter().filter(|r| in_release(&r.releases)).collect();
        let blocking = mine
            .iter()
            .filter(|r| !SETTLED.contains(&r.state.as_str()))
            .count()
            + failed;
        Ok(ReleaseSummary {
            name: name.map(str::to_string),
            images: imgs.len(),
            images_failed: failed,
            counts: Counts::of(mine.iter().copied()),
            blocking,
            trend: old_trend(store, name)?,
        })
    };
    if names.is_empty() {
        releases.push(summary(None, store)?);
    }
    for n in &names {
        releases.push(summary(Some(n), store)?);
    }
    Ok(Overview {
        run: Some(RunOut::from(&run)),
        releases,
        needs_triage: all
            .iter()
            .filter(|r| NEEDS_TRIAGE.contains(&r.state.as_str()))
            .count(),
        new_since_last_run: all.iter().filter(|r| r.new).count(),
        expiring_soon,
    })
}

/// The findings of the newest complete run (optionally of one release).
pub fn finding_list(
    store: &mut Store,
    kind: ListKind,
    release: Option<&str>,
    filter: &Filter,
    today: Date,
) -> Result<FindingList, AppError> {
    let run =
        match release {
            Some(r) => Some(store.latest_run_with_release(r).map_err(|_| {
                AppError::NotFound(format!("no complete run lists the release `{r}`"))
            })?),
            None => latest(store)?,
        };
    let Some(run) = run else {
        return Ok(FindingList {
            run: None,
            counts: Counts::default(),
            findings: paginate(Vec::new(), filter.page, filter.per_page),
        });
    };
    let all = rows(
        store,
        &LiveQuery {
            run_seq: run.seq,
            release: release.map(str::to_string),
            ..LiveQuery::default()
        },
        today,
    )?;
    let selected: Vec<FindingRow> = all
        .into_iter()
        .filter(|r| match kind {
            ListKind::All => true,
            ListKind::NeedsTriage => NEEDS_TRIAGE.contains(&r.state.as_str()),
            ListKind::New => r.new,
        })
        .collect();
    Ok(FindingList {
        run: Some(RunOut::from(&run)),
        counts: Counts::of(&selected),
        findings: filter.apply(selected),
    })
}

/// The latest complete run listing release `name`, and the release's rows in it.
fn release_rows(
    store: &mut Store,
    name: &str,
    today: Date,
) -> Result<(Run, Vec<FindingRow>), AppError> {
    let run = store
        .latest_run_with_release(name)
        .map_err(|_| AppError::NotFound(format!("no complete run lists the release `{name}`")))?;
    let all = rows(
        store,
        &LiveQuery {
            run_seq: run.seq,
            release: Some(name.to_string()),
            ..LiveQuery::default()
        },
        today,
    )?;
    Ok((run, all))
}

pub fn release(
    store: &mut Store,
    name: &str,
    filter: &Filter,
    today: Date,
) -> Result<ReleaseView, AppError> {
    let (run, all) = release_rows(store, name, today)?;
    let kept: Vec<&FindingRow> = all.iter().filter(|r| filter.keeps(r)).collect();
    let mut per_image: BTreeMap<&str, Vec<&FindingRow>> = BTreeMap::new();
    for r in &kept {
        per_image.entry(r.reference.as_str()).or_default().push(r);
    }
    let mut images: Vec<ImageRow> = store
        .images(run.seq)?
        .into_iter()
        .filter(|s| s.releases.iter().any(|(r, _)| r == name))
        .map(|s| {
            let mine = per_image
                .get(s.reference.as_str())
                .cloned()
                .unwrap_or_default();
            let c = Counts::of(mine.iter().copied());
            ImageRow {
                blocking: mine
                    .iter()
                    .filter(|r| !SETTLED.contains(&r.state.as_str()))
                    .count(),
                reference: s.reference,
                repository: s.repository,
                status: s.status.as_str().to_string(),
                error: s.error,
                digest: s.digest,
                os: s.os,
                package_count: s.package_count,
                by_severity: c.by_severity,
                total: c.total,
            }
        })
        .collect();
    // Failed images first (they need attention), then the most findings.
    images.sort_by(|a, b| {
        (b.status == "failed", b.total, &a.reference).cmp(&(
            a.status == "failed",
            a.total,
            &b.reference,
        ))
    });
    let images_failed = images.iter().filter(|i| i.status == "failed").count();
    Ok(ReleaseView {
        release: name.to_string(),
        run: RunOut::from(&run),
        counts: Counts::of(kept.iter().copied()),
        images_failed,
        images: paginate(images, filter.page, filter.per_page),
    })
}

/// Every finding of a release that is neither gone nor settled by triage.
pub fn readiness(
    store: &mut Store,
    name: &str,
    filter: &Filter,
    today: Date,
) -> Result<ReadinessView, AppError> {
    let (run, all) = release_rows(store, name, today)?;
    let failed_images: Vec<String> = store
        .images(run.seq)?
        .into_iter()
        .filter(|s| s.status == ScanStatus::Failed && s.releases.iter().any(|(r, _)| r == name))
        .map(|s| s.reference)
        .collect();
    let blocking: Vec<FindingRow> = all
        .into_iter()
        .filter(|r| !SETTLED.contains(&r.state.as_str()))
        .collect();
    Ok(ReadinessView {
        release: name.to_string(),
        ready: blocking.is_empty() && failed_images.is_empty(),
        run: RunOut::from(&run),
        failed_images,
        blocking: filter.apply(blocking),
    })
}

pub fn finding(
    store: &mut Store,
    vuln_id: &str,
    filter: &Filter,
    today: Date,
) -> Result<FindingView, AppError> {
    finding_with(store, vuln_id, filter, today, |store, run, vuln_id| {
        let q = LiveQuery {
            run_seq: run.seq,
            vuln_id: Some(vuln_id.to_string()),
            ..LiveQuery::default()
        };
        rows(store, &q, today)
    })
}

fn old_trend(store: &mut Store, release: Option<&str>) -> Result<Vec<TrendOut>, AppError> {
    Ok(store
        .severity_trend(release, TREND_RUNS)?
        .into_iter()
        .map(trend_out)
        .collect())
}

#[path = "../../../drydock-store/tests/pg_cluster.rs"]
mod pg_cluster;

#[cfg(test)]
mod tests {
    //! The indexed views against the per-request ones above, on both store backends, over
    //! filters, sorts, pages, releases and triage changes (the index's states are cached:
    //! each comparison after a triage change checks they were recomputed).

    use drydock_store::{Observation, RunStart, Shard, VulnInfo};
    use drydock_triage::{Triage, TriageInput};

    use super::super::{self as view, Params};
    use super::pg_cluster;
    use super::*;
    use crate::index::Cache;

    const T0: i64 = 1_780_000_000;

    fn obs(image: usize, n: usize) -> Observation {
        // Names that differ in case and ecosystem, severities in mixed case, some ids lower
        // case: what the filters and the triage matching fold.
        let package = match n % 5 {
            0 => "Requests".to_string(),
            1 => "requests".to_string(),
            2 => format!("lib-{}", n % 3),
            3 => "Ünicode-pkg".to_string(),
            _ => format!("pkg-{}", n % 4),
        };
        let vuln_id = if n.is_multiple_of(7) {
            format!("GHSA-aaaa-bbbb-{n:04}")
        } else {
            format!("CVE-2026-{:04}", n % 23)
        };
        Observation {
            fingerprint: format!("{image}-{n:05}"),
            repository: format!("registry.example/app-{image}"),
            ecosystem: if n.is_multiple_of(2) { "pypi" } else { "Npm" }.into(),
            package,
            vuln_id: vuln_id.clone(),
            advisory_id: if n.is_multiple_of(6) {
                format!("DSA-{n}")
            } else {
                vuln_id
            },
            installed: format!("1.{}.0", n % 5),
            fixed: (!n.is_multiple_of(3)).then(|| format!("1.{}.{}", n % 5, n % 4)),
            severity: ["LOW", "MEDIUM", "high", "CRITICAL", "UNKNOWN", "negligible"][n % 6].into(),
            status: if n.is_multiple_of(3) {
                "affected"
            } else {
                "fixed"
            }
            .into(),
            pkg_type: "python-pkg".into(),
            layer: (!n.is_multiple_of(4)).then(|| format!("sha256:{:064x}", n % 3)),
            path: (!n.is_multiple_of(4)).then(|| format!("app/{n}")),
        }
    }

    fn vulns() -> Vec<VulnInfo> {
        (0..23)
            .map(|n: u32| VulnInfo {
                vuln_id: format!("CVE-2026-{n:04}"),
                title: (!n.is_multiple_of(4)).then(|| format!("Overflow in Requests Parser {n} Ä")),
                description: None,
                url: Some(format!("https://example.test/{n}")),
                aliases: Vec::new(),
                cvss_score: None,
                cvss_vector: None,
            })
            .collect()
    }

    fn scan(seq: i64, image: usize, releases: &[&str], ok: bool, n: usize) -> ImageScan {
        ImageScan {
            run_seq: seq,
            reference: format!("registry.example/app-{image}:1"),
            repository: format!("registry.example/app-{image}"),
            releases: releases
                .iter()
                .zip(0..)
                .map(|(r, i)| (r.to_string(), i))
                .collect(),
            status: if ok {
                ScanStatus::Ok
            } else {
                ScanStatus::Failed
            },
            error: (!ok).then(|| "pull failed".to_string()),
            digest: None,
            platform: None,
            os: None,
            package_count: 10,
            finding_count: i64::try_from(n).unwrap_or_default(),
            layers_analysed: 0,
            layers_cached: 0,
            started_at: 0,
            finished_at: 0,
            shard_index: 0,
            sources: vec![],
            labels: Default::default(),
            mirrored: false,
        }
    }

    /// Four runs: images in two releases (one in both, one in none), churn between runs, a
    /// failed scan in the newest complete run, and a fifth run still running.
    fn fill(store: &mut Store) {
        let releases: [&[&str]; 4] = [&["r1"], &["r1", "r2"], &["r2"], &[]];
        for run in 0..5usize {
            let at = T0 + i64::try_from(run).unwrap_or_default() * 86_400;
            let seq = store
                .begin_run(&RunStart {
                    run_id: format!("run-{run}"),
                    shard: Shard::WHOLE,
                    images_planned: 4,
                    drydock_version: "test".into(),
                    db_built_at: None,
                    db_sources: None,
                    fleet_digest: None,
                    fleet_path: None,
                    started_at: at,
                })
                .expect("begin run");
            for (image, rel) in releases.iter().enumerate() {
                let ok = !(run == 3 && image == 2);
                // Each run drops the oldest three findings and adds three.
                let o: Vec<Observation> = if ok {
                    (run * 3..run * 3 + 40 + image * 5)
                        .map(|n| obs(image, n))
                        .collect()
                } else {
                    Vec::new()
                };
                store
                    .record_image(&scan(seq, image, rel, ok, o.len()), &o, &vulns())
                    .expect("record");
            }
            if run < 4 {
                store.finish_shard(seq, 0, at + 60).expect("finish");
            }
        }
    }

    /// scope, repository or release, ecosystem, package, vulnerability, state
    type Record<'a> = (
        &'a str,
        Option<&'a str>,
        Option<&'a str>,
        &'a str,
        &'a str,
        &'a str,
    );

    fn triage(store: &mut Store, set: &[Record<'_>]) {
        let past: Date = "2026-01-01".parse().expect("a date");
        for (scope, target, eco, package, vuln, state) in set {
            let t = Triage::validate(
                TriageInput {
                    scope: scope.to_string(),
                    repository: (*scope == "image").then(|| target.unwrap_or("").to_string()),
                    release: (*scope == "release").then(|| target.unwrap_or("").to_string()),
                    ecosystem: eco.map(str::to_string),
                    package: package.to_string(),
                    vuln_id: vuln.to_string(),
                    state: state.to_string(),
                    justification: (*state == "not_affected")
                        .then(|| "vulnerable_code_not_in_execute_path".to_string()),
                    reason: Some("checked".into()),
                    expires: (*state == "accepted").then(|| "2026-06-01".to_string()),
                    ..TriageInput::default()
                },
                past,
            )
            .expect("a valid triage record");
            drydock_triage::set(store, &t, "tester", T0).expect("triage set");
        }
    }

    fn params(list: &[(&str, &str)]) -> Params {
        let m: serde_json::Map<String, serde_json::Value> = list
            .iter()
            .map(|(k, v)| (k.to_string(), serde_json::Value::from(*v)))
            .collect();
        serde_json::from_value(serde_json::Value::Object(m)).expect("params")
    }

    fn same<T: serde::Serialize>(what: &str, new: T, old: T) {
        let (n, o) = (
            serde_json::to_value(new).expect("json"),
            serde_json::to_value(old).expect("json"),
        );
        assert_eq!(n, o, "{what}: the indexed view differs");
    }

    fn compare(store: &mut Store, cache: &Cache, today: Date) -> usize {
        let mut filters: Vec<Vec<(&str, &str)>> = vec![
            vec![],
            vec![("severity", "high,critical")],
            vec![("state", "untriaged")],
            vec![("state", "accepted,expired,not_affected")],
            vec![("package", "REQ")],
            vec![("package", "ünicode")],
            vec![("ecosystem", "NPM")],
            vec![("q", "parser 1")],
            vec![("q", "dsa-")],
            vec![("q", "app-2")],
            vec![("q", "ä")],
            vec![("per_page", "7"), ("page", "3")],
            vec![("per_page", "500")],
        ];
        for sort in view::SORTS {
            for order in ["", "asc", "desc"] {
                filters.push(vec![("sort", sort), ("order", order), ("per_page", "9")]);
                filters.push(vec![
                    ("sort", sort),
                    ("order", order),
                    ("page", "2"),
                    ("per_page", "5"),
                ]);
            }
        }
        let mut n = 0;
        same(
            "overview",
            view::overview(store, cache, today).expect("overview"),
            overview(store, today).expect("old overview"),
        );
        for p in &filters {
            let f = params(p).filter().expect("a valid filter");
            for kind in [ListKind::All, ListKind::NeedsTriage, ListKind::New] {
                for rel in [None, Some("r1"), Some("r2")] {
                    same(
                        &format!("{kind:?} {rel:?} {p:?}"),
                        view::finding_list(store, cache, kind, rel, &f, today).expect("list"),
                        finding_list(store, kind, rel, &f, today).expect("old list"),
                    );
                    n += 1;
                }
            }
            for vuln in [
                "CVE-2026-0003",
                "cve-2026-0001",
                "GHSA-aaaa-bbbb-0014",
                "CVE-2099-0001",
            ] {
                let json = |v: Result<FindingView, AppError>| {
                    v.map(|v| serde_json::to_value(v).expect("json"))
                        .map_err(|e| e.to_string())
                };
                assert_eq!(
                    json(view::finding(store, cache, vuln, &f, today)),
                    json(finding(store, vuln, &f, today)),
                    "finding {vuln} {p:?}: the indexed view differs"
                );
                n += 1;
            }
            for rel in ["r1", "r2"] {
                same(
                    &format!("release {rel} {p:?}"),
                    view::release(store, cache, rel, &f, today).expect("release"),
                    release(store, rel, &f, today).expect("old release"),
                );
                same(
                    &format!("readiness {rel} {p:?}"),
                    view::readiness(store, cache, rel, &f, today).expect("readiness"),
                    readiness(store, rel, &f, today).expect("old readiness"),
                );
                n += 2;
            }
        }
        n
    }

    fn check(location: &str) {
        let mut store = Store::open(location).expect("a store");
        fill(&mut store);
        let cache = Cache::default();
        let today: Date = "2026-03-01".parse().expect("a date");
        let later: Date = "2026-07-01".parse().expect("a date");
        let n = compare(&mut store, &cache, today);
        assert!(n > 300, "{n} comparisons");
        triage(
            &mut store,
            &[
                ("all", None, None, "requests", "cve-2026-0003", "affected"),
                (
                    "all",
                    None,
                    Some("pypi"),
                    "Requests",
                    "CVE-2026-0003",
                    "not_affected",
                ),
                (
                    "release",
                    Some("r1"),
                    None,
                    "REQUESTS",
                    "CVE-2026-0003",
                    "accepted",
                ),
                (
                    "image",
                    Some("registry.example/app-1"),
                    None,
                    "requests",
                    "CVE-2026-0003",
                    "waiting",
                ),
                ("all", None, None, "lib-2", "CVE-2026-0001", "accepted"),
                (
                    "release",
                    Some("r2"),
                    None,
                    "pkg-0",
                    "CVE-2026-0001",
                    "false_positive",
                ),
                (
                    "all",
                    None,
                    None,
                    "Ünicode-pkg",
                    "CVE-2026-0005",
                    "in_triage",
                ),
                ("all", None, None, "requests", "CVE-2026-0010", "in_triage"),
            ],
        );
        let with_triage = view::overview(&mut store, &cache, today).expect("overview");
        assert!(
            with_triage
                .releases
                .iter()
                .any(|r| r.counts.by_state.len() > 3),
            "the triage records set states: {:?}",
            with_triage.releases
        );
        compare(&mut store, &cache, today);
        // The acceptances expire: the cached states are keyed on the day too.
        compare(&mut store, &cache, later);
        triage(
            &mut store,
            &[("all", None, None, "requests", "cve-2026-0003", "in_triage")],
        );
        compare(&mut store, &cache, later);
    }

    #[test]
    fn indexed_views_match_per_request_views_on_sqlite() {
        let dir = tempfile::tempdir().expect("a temp dir");
        check(&dir.path().join("h.db").to_string_lossy());
    }

    #[test]
    fn indexed_views_match_per_request_views_on_postgres() {
        match pg_cluster::new_database() {
            Some(url) => check(&url),
            None => eprintln!("skipped: no PostgreSQL binaries (CI would fail)"),
        }
    }
}
