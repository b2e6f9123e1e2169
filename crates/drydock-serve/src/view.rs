//! What the pages and the API show, computed from the store: one model, two renderings.
//!
//! A finding's *state* is the state of the most specific triage record that applies to it
//! (the scan-time rule of [`drydock_triage::TriageSuppressor`]), `untriaged` when none does,
//! and `expired` when the record's expiry has passed.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use drydock_policy::Date;
use drydock_store::{
    ImageScan, LiveQuery, Run, RunStatus, ScanStatus, Store, TrendPoint, TriageEvent, TriageFilter,
    TriageRecord, VulnInfo,
};
use drydock_triage::{TriageSuppressor, add_days, date_of_unix};
use serde::Serialize;

use crate::error::AppError;
use crate::index::{Cache, RunIndex, States};

#[cfg(test)]
mod oracle;

/// Severities, most severe first.
pub const SEVERITIES: [&str; 5] = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"];
/// Finding states: the triage states plus `untriaged` and `expired`.
pub const STATES: [&str; 8] = [
    "untriaged",
    "in_triage",
    "affected",
    "waiting",
    "not_affected",
    "false_positive",
    "accepted",
    "expired",
];
/// States that settle a finding for a release (an acceptance only until it expires).
const SETTLED: [&str; 3] = ["accepted", "not_affected", "false_positive"];
/// States that still need someone to look.
const NEEDS_TRIAGE: [&str; 3] = ["untriaged", "in_triage", "expired"];

pub fn severity_rank(s: &str) -> usize {
    SEVERITIES
        .iter()
        .position(|x| x.eq_ignore_ascii_case(s))
        .unwrap_or(SEVERITIES.len())
}

/// The clock: `SOURCE_DATE_EPOCH` pins it (as for `drydock triage`), else the system time.
pub fn now() -> (i64, Date) {
    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
                .unwrap_or_default()
        });
    (secs, date_of_unix(secs))
}

/// `2026-11-23 14:05 UTC`
pub fn fmt_time(secs: i64) -> String {
    let s = secs.rem_euclid(86_400);
    format!(
        "{} {:02}:{:02} UTC",
        date_of_unix(secs),
        s / 3600,
        (s % 3600) / 60
    )
}

/// One finding in one image of a run, with its triage state and advisory title.
#[derive(Debug, Clone, Serialize)]
pub struct FindingRow {
    pub reference: String,
    pub repository: String,
    pub releases: Vec<String>,
    pub vuln_id: String,
    pub advisory_id: String,
    pub package: String,
    pub ecosystem: String,
    pub installed: String,
    pub fixed: Option<String>,
    pub severity: String,
    /// The finding's fix status (`fixed`, `affected`, `will_not_fix`, …).
    pub status: String,
    pub layer: Option<String>,
    pub path: Option<String>,
    pub first_seen_run: i64,
    pub first_seen_at: i64,
    /// First seen in the run shown.
    pub new: bool,
    pub state: String,
    pub triage_id: Option<i64>,
    pub expires: Option<String>,
    pub title: Option<String>,
    pub url: Option<String>,
}

pub use crate::filter::{DEFAULT_PER_PAGE, Filter, MAX_PER_PAGE, Page, Params, SORTS, paginate};

/// Loads the findings a run saw (restricted by `q`), with states and advisory titles.
pub fn rows(store: &mut Store, q: &LiveQuery, today: Date) -> Result<Vec<FindingRow>, AppError> {
    let live = store.live_findings(q)?;
    let releases: HashMap<String, Vec<String>> = store
        .images(q.run_seq)?
        .into_iter()
        .map(|s| {
            let r = s.releases.into_iter().map(|(name, _)| name).collect();
            (s.reference, r)
        })
        .collect();
    let triage = TriageSuppressor::new(&store.triage_list(&TriageFilter::default())?);
    let ids: Vec<String> = live
        .iter()
        .map(|l| l.observation.vuln_id.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let vulns = store.vulns(&ids)?;
    let empty = Vec::new();
    Ok(live
        .into_iter()
        .map(|l| {
            let o = l.observation;
            let rel = releases.get(&l.reference).unwrap_or(&empty);
            let m = triage.matching(&o.repository, rel, &o.ecosystem, &o.package, &o.vuln_id);
            let state = match m {
                None => "untriaged".to_string(),
                Some(m) if m.triage.is_expired(today) => "expired".to_string(),
                Some(m) => m.triage.state.as_str().to_string(),
            };
            let v = vulns.get(&o.vuln_id);
            FindingRow {
                reference: l.reference,
                repository: o.repository,
                releases: rel.clone(),
                new: l.first_seen_seq == q.run_seq,
                vuln_id: o.vuln_id,
                advisory_id: o.advisory_id,
                package: o.package,
                ecosystem: o.ecosystem,
                installed: o.installed,
                fixed: o.fixed,
                severity: o.severity.to_ascii_uppercase(),
                status: o.status,
                layer: o.layer,
                path: o.path,
                first_seen_run: l.first_seen_seq,
                first_seen_at: l.first_seen_at,
                state,
                triage_id: m.map(|m| m.id),
                expires: m.and_then(|m| m.triage.expires.map(|d| d.to_string())),
                title: v.and_then(|v| v.title.clone()),
                url: v.and_then(|v| v.url.clone()),
            }
        })
        .collect())
}

/// Counts by severity and by state.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    pub total: usize,
    pub by_severity: BTreeMap<String, usize>,
    pub by_state: BTreeMap<String, usize>,
}

impl Counts {
    pub fn of<'a>(rows: impl IntoIterator<Item = &'a FindingRow>) -> Counts {
        let mut c = Counts::default();
        for r in rows {
            c.total += 1;
            *c.by_severity.entry(r.severity.clone()).or_default() += 1;
            *c.by_state.entry(r.state.clone()).or_default() += 1;
        }
        c
    }
}

/// A run, for display.
#[derive(Debug, Clone, Serialize)]
pub struct RunOut {
    pub seq: i64,
    pub run_id: String,
    pub started_at: i64,
    pub started: String,
    pub status: String,
    pub images_ok: i64,
    pub images_failed: i64,
    pub findings: i64,
    pub drydock_version: String,
    pub db_built_at: Option<String>,
}

impl From<&Run> for RunOut {
    fn from(r: &Run) -> RunOut {
        RunOut {
            seq: r.seq,
            run_id: r.run_id.clone(),
            started_at: r.started_at,
            started: fmt_time(r.started_at),
            status: r.status.as_str().to_string(),
            images_ok: r.images_ok,
            images_failed: r.images_failed,
            findings: r.findings,
            drydock_version: r.drydock_version.clone(),
            db_built_at: r.db_built_at.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TrendOut {
    pub run_seq: i64,
    pub run_id: String,
    pub started: String,
    pub by_severity: BTreeMap<String, i64>,
}

/// One release of the overview.
#[derive(Debug, Clone, Serialize)]
pub struct ReleaseSummary {
    /// `None`: the run lists no releases; these are all its images.
    pub name: Option<String>,
    pub images: usize,
    pub images_failed: usize,
    pub counts: Counts,
    /// Findings neither settled by triage nor gone, plus failed images (release readiness).
    pub blocking: usize,
    pub trend: Vec<TrendOut>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    pub run: Option<RunOut>,
    pub releases: Vec<ReleaseSummary>,
    pub needs_triage: usize,
    pub new_since_last_run: usize,
    pub expiring_soon: usize,
}

/// How many runs the trend charts cover.
pub const TREND_RUNS: usize = 30;

/// The newest complete run, if any.
fn latest(store: &mut Store) -> Result<Option<Run>, AppError> {
    match store.run("latest") {
        Ok(r) => Ok(Some(r)),
        Err(drydock_store::StoreError::NoRun(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn trend_out(p: TrendPoint) -> TrendOut {
    TrendOut {
        run_seq: p.run_seq,
        run_id: p.run_id,
        started: fmt_time(p.started_at),
        by_severity: p
            .by_severity
            .into_iter()
            .map(|(k, v)| (k.to_ascii_uppercase(), v))
            .collect(),
    }
}

/// The index of a run's findings and their states today.
fn indexed(
    store: &mut Store,
    cache: &Cache,
    run: &Run,
    today: Date,
) -> Result<(Arc<RunIndex>, Arc<States>), AppError> {
    let ix = cache.run(store, run.seq, run.status == RunStatus::Complete)?;
    let st = ix.states(store, today)?;
    Ok((ix, st))
}

pub fn overview(store: &mut Store, cache: &Cache, today: Date) -> Result<Overview, AppError> {
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
    let (ix, st) = indexed(store, cache, &run, today)?;
    let images = store.images(run.seq)?;
    let names = store.releases(run.seq)?;
    let selections: Vec<Option<String>> = if names.is_empty() {
        vec![None]
    } else {
        names.into_iter().map(Some).collect()
    };
    let trends = cache.trends(store, selections.clone(), TREND_RUNS)?;
    let mut releases = Vec::new();
    for (name, trend) in selections.iter().zip(trends.iter()) {
        let name = name.as_deref();
        let imgs: Vec<&ImageScan> = images
            .iter()
            .filter(|s| name.is_none_or(|n| s.releases.iter().any(|r| r.0 == n)))
            .collect();
        let failed = imgs
            .iter()
            .filter(|s| s.status == ScanStatus::Failed)
            .count();
        let mine = ix.select(|r| name.is_none_or(|n| r.in_release(n)), &st);
        let blocking = mine
            .iter()
            .filter(|i| !SETTLED.contains(&ix.row(**i, &st).state()))
            .count()
            + failed;
        releases.push(ReleaseSummary {
            name: name.map(str::to_string),
            images: imgs.len(),
            images_failed: failed,
            counts: ix.counts(&mine, &st),
            blocking,
            trend: trend.iter().cloned().map(trend_out).collect(),
        });
    }
    Ok(Overview {
        run: Some(RunOut::from(&run)),
        releases,
        needs_triage: ix.select(|r| NEEDS_TRIAGE.contains(&r.state()), &st).len(),
        new_since_last_run: ix.select(|r| r.is_new(), &st).len(),
        expiring_soon,
    })
}

/// Which findings a list view shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    All,
    NeedsTriage,
    New,
}

#[derive(Debug, Clone, Serialize)]
pub struct FindingList {
    pub run: Option<RunOut>,
    pub counts: Counts,
    pub findings: Page<FindingRow>,
}

/// The findings of the newest complete run (optionally of one release).
pub fn finding_list(
    store: &mut Store,
    cache: &Cache,
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
    let (ix, st) = indexed(store, cache, &run, today)?;
    let selected = ix.select(
        |r| {
            release.is_none_or(|n| r.in_release(n))
                && match kind {
                    ListKind::All => true,
                    ListKind::NeedsTriage => NEEDS_TRIAGE.contains(&r.state()),
                    ListKind::New => r.is_new(),
                }
        },
        &st,
    );
    let counts = ix.counts(&selected, &st);
    let kept = selected
        .into_iter()
        .filter(|i| ix.row(*i, &st).kept_by(filter))
        .collect();
    Ok(FindingList {
        run: Some(RunOut::from(&run)),
        counts,
        findings: ix.page(kept, filter, &st),
    })
}

/// One image of a release page.
#[derive(Debug, Clone, Serialize)]
pub struct ImageRow {
    pub reference: String,
    pub repository: String,
    pub status: String,
    pub error: Option<String>,
    pub digest: Option<String>,
    pub os: Option<String>,
    pub package_count: i64,
    pub by_severity: BTreeMap<String, usize>,
    pub total: usize,
    pub blocking: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReleaseView {
    pub release: String,
    pub run: RunOut,
    pub counts: Counts,
    pub images_failed: usize,
    pub images: Page<ImageRow>,
}

pub fn release(
    store: &mut Store,
    cache: &Cache,
    name: &str,
    filter: &Filter,
    today: Date,
) -> Result<ReleaseView, AppError> {
    let run = store
        .latest_run_with_release(name)
        .map_err(|_| AppError::NotFound(format!("no complete run lists the release `{name}`")))?;
    let (ix, st) = indexed(store, cache, &run, today)?;
    let kept = ix.select(|r| r.in_release(name) && r.kept_by(filter), &st);
    let mut per_image: HashMap<&str, Vec<u32>> = HashMap::new();
    for i in &kept {
        per_image
            .entry(ix.row(*i, &st).reference())
            .or_default()
            .push(*i);
    }
    let mut images: Vec<ImageRow> = store
        .images(run.seq)?
        .into_iter()
        .filter(|s| s.releases.iter().any(|(r, _)| r == name))
        .map(|s| {
            let mine = per_image
                .get(s.reference.as_str())
                .map_or(&[][..], Vec::as_slice);
            let c = ix.counts(mine, &st);
            ImageRow {
                blocking: mine
                    .iter()
                    .filter(|i| !SETTLED.contains(&ix.row(**i, &st).state()))
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
        counts: ix.counts(&kept, &st),
        images_failed,
        images: paginate(images, filter.page, filter.per_page),
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct ReadinessView {
    pub release: String,
    pub run: RunOut,
    pub ready: bool,
    /// Images whose scan failed in that run: unknown, so not ready.
    pub failed_images: Vec<String>,
    pub blocking: Page<FindingRow>,
}

/// Every finding of a release that is neither gone nor settled by triage.
pub fn readiness(
    store: &mut Store,
    cache: &Cache,
    name: &str,
    filter: &Filter,
    today: Date,
) -> Result<ReadinessView, AppError> {
    let run = store
        .latest_run_with_release(name)
        .map_err(|_| AppError::NotFound(format!("no complete run lists the release `{name}`")))?;
    let (ix, st) = indexed(store, cache, &run, today)?;
    let failed_images: Vec<String> = store
        .images(run.seq)?
        .into_iter()
        .filter(|s| s.status == ScanStatus::Failed && s.releases.iter().any(|(r, _)| r == name))
        .map(|s| s.reference)
        .collect();
    let blocking = ix.select(|r| r.in_release(name) && !SETTLED.contains(&r.state()), &st);
    let ready = blocking.is_empty() && failed_images.is_empty();
    let kept = blocking
        .into_iter()
        .filter(|i| ix.row(*i, &st).kept_by(filter))
        .collect();
    Ok(ReadinessView {
        release: name.to_string(),
        ready,
        run: RunOut::from(&run),
        failed_images,
        blocking: ix.page(kept, filter, &st),
    })
}

/// One scan of an image's history.
#[derive(Debug, Clone, Serialize)]
pub struct ScanOut {
    pub run_seq: i64,
    pub started: String,
    pub status: String,
    pub error: Option<String>,
    pub digest: Option<String>,
    pub os: Option<String>,
    pub package_count: i64,
    pub finding_count: i64,
    pub releases: Vec<String>,
}

impl From<&ImageScan> for ScanOut {
    fn from(s: &ImageScan) -> ScanOut {
        ScanOut {
            run_seq: s.run_seq,
            started: fmt_time(s.started_at),
            status: s.status.as_str().to_string(),
            error: s.error.clone(),
            digest: s.digest.clone(),
            os: s.os.clone(),
            package_count: s.package_count,
            finding_count: s.finding_count,
            releases: s.releases.iter().map(|r| r.0.clone()).collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ImageView {
    pub reference: String,
    pub repository: String,
    /// The newest scan (possibly failed).
    pub latest: ScanOut,
    /// The run whose findings are shown: the newest successful scan.
    pub findings_run: Option<i64>,
    pub counts: Counts,
    pub findings: Page<FindingRow>,
    pub history: Vec<ScanOut>,
}

/// How many scans the image page lists.
pub const HISTORY_LIMIT: usize = 100;

pub fn image(
    store: &mut Store,
    reference: &str,
    filter: &Filter,
    today: Date,
) -> Result<ImageView, AppError> {
    let history: Vec<ImageScan> = store
        .image_history(reference, HISTORY_LIMIT)?
        .into_iter()
        .filter(|s| s.reference == reference)
        .collect();
    let Some(newest) = history.first() else {
        return Err(AppError::NotFound(format!(
            "the store has no scan of the image `{reference}`"
        )));
    };
    let ok = history.iter().find(|s| s.status == ScanStatus::Ok);
    let all = match ok {
        Some(s) => rows(
            store,
            &LiveQuery {
                run_seq: s.run_seq,
                reference: Some(reference.to_string()),
                ..LiveQuery::default()
            },
            today,
        )?,
        None => Vec::new(),
    };
    let kept: Vec<FindingRow> = all.into_iter().filter(|r| filter.keeps(r)).collect();
    Ok(ImageView {
        reference: reference.to_string(),
        repository: newest.repository.clone(),
        latest: ScanOut::from(newest),
        findings_run: ok.map(|s| s.run_seq),
        counts: Counts::of(&kept),
        findings: filter.apply(kept),
        history: history.iter().map(ScanOut::from).collect(),
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct TriageOut {
    #[serde(flatten)]
    pub record: TriageRecord,
    pub expired: bool,
    pub events: Vec<TriageEvent>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FindingView {
    pub vuln_id: String,
    pub advisory: Option<VulnInfo>,
    pub run: Option<RunOut>,
    /// Every image of the newest complete run with this vulnerability.
    pub images: Page<FindingRow>,
    /// What the triage form offers.
    pub packages: Vec<(String, String)>,
    pub repositories: Vec<String>,
    pub releases: Vec<String>,
    pub triage: Vec<TriageOut>,
}

pub fn finding(
    store: &mut Store,
    cache: &Cache,
    vuln_id: &str,
    filter: &Filter,
    today: Date,
) -> Result<FindingView, AppError> {
    finding_with(store, vuln_id, filter, today, |store, run, vuln_id| {
        let (ix, st) = indexed(store, cache, run, today)?;
        Ok(ix
            .select(|row| row.vuln() == vuln_id, &st)
            .into_iter()
            .map(|i| ix.finding_row(i, &st))
            .collect())
    })
}

/// The finding page with `load` giving the rows of the vulnerability in a run.
fn finding_with(
    store: &mut Store,
    vuln_id: &str,
    filter: &Filter,
    today: Date,
    load: impl FnOnce(&mut Store, &Run, &str) -> Result<Vec<FindingRow>, AppError>,
) -> Result<FindingView, AppError> {
    let vuln_id = drydock_triage::normalize_vuln_id(vuln_id);
    let advisory = store
        .vulns(std::slice::from_ref(&vuln_id))?
        .remove(&vuln_id);
    let run = latest(store)?;
    let all = match &run {
        Some(r) => load(store, r, &vuln_id)?,
        None => Vec::new(),
    };
    let records = store.triage_list(&TriageFilter {
        vuln_id: Some(vuln_id.clone()),
        ..TriageFilter::default()
    })?;
    if advisory.is_none() && all.is_empty() && records.is_empty() {
        return Err(AppError::NotFound(format!(
            "the store knows nothing about `{vuln_id}`"
        )));
    }
    let packages: BTreeSet<(String, String)> = all
        .iter()
        .map(|r| (r.package.clone(), r.ecosystem.clone()))
        .chain(
            records
                .iter()
                .map(|r| (r.key.package.clone(), r.key.ecosystem.clone())),
        )
        .collect();
    let repositories: BTreeSet<String> = all.iter().map(|r| r.repository.clone()).collect();
    let releases: BTreeSet<String> = all.iter().flat_map(|r| r.releases.clone()).collect();
    let mut triage = Vec::with_capacity(records.len());
    for r in records {
        let events = store.triage_history(r.id)?;
        let expired = r
            .fields
            .expires
            .as_deref()
            .and_then(|e| e.parse::<Date>().ok())
            .is_some_and(|e| e < today);
        triage.push(TriageOut {
            record: r,
            expired,
            events,
        });
    }
    Ok(FindingView {
        vuln_id,
        advisory,
        run: run.as_ref().map(RunOut::from),
        images: filter.apply(all),
        packages: packages.into_iter().collect(),
        repositories: repositories.into_iter().collect(),
        releases: releases.into_iter().collect(),
        triage,
    })
}

/// A record expiring soon.
#[derive(Debug, Clone, Serialize)]
pub struct ExpiringOut {
    #[serde(flatten)]
    pub record: TriageRecord,
    pub expired: bool,
    pub days_left: i64,
}

/// Records with an expiry within `days` (expired ones included), soonest first.
pub fn expiring(store: &mut Store, today: Date, days: i64) -> Result<Vec<ExpiringOut>, AppError> {
    let by = add_days(today, days);
    let mut out: Vec<ExpiringOut> = store
        .triage_list(&TriageFilter {
            expires_by: Some(by.to_string()),
            ..TriageFilter::default()
        })?
        .into_iter()
        .filter_map(|r| {
            let e = r.fields.expires.as_deref()?.parse::<Date>().ok()?;
            Some(ExpiringOut {
                expired: e < today,
                days_left: drydock_triage::unix_days(e) - drydock_triage::unix_days(today),
                record: r,
            })
        })
        .collect();
    out.sort_by_key(|e| (e.days_left, e.record.id));
    Ok(out)
}

/// Runs, newest first.
pub fn runs(store: &mut Store, cache: &Cache, filter: &Filter) -> Result<Page<RunOut>, AppError> {
    let total = usize::try_from(store.run_count()?).unwrap_or_default();
    let mut items = Vec::with_capacity(filter.per_page);
    for (seq, complete) in store.runs_page(
        filter.per_page,
        (filter.page - 1).saturating_mul(filter.per_page),
    )? {
        items.push(cache.run_out(store, seq, complete)?);
    }
    Ok(Page {
        items,
        total,
        page: filter.page,
        per_page: filter.per_page,
        pages: total.div_ceil(filter.per_page).max(1),
    })
}
