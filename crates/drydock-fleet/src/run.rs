//! Scanning a fleet into the history store.
//!
//! Images are scanned `jobs` at a time by worker threads (each with its own read-only DB
//! handle); one coordinator thread writes every result to the store, so a store handle is never
//! shared. A layer shared by many images is walked once per run: an image whose layers another
//! worker is walking right now waits for it, then finds them in the layer cache.

use std::collections::{BTreeMap, HashSet};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, mpsc};

use drydock_image::Target;
use drydock_policy::Verdict;
use drydock_scan::{ScanSettings, TargetSpec};
use drydock_store::{ImageScan, RunStart, RunStatus, ScanStatus, Shard, Store};
use sha2::{Digest, Sha256};

use crate::FleetError;
use crate::file::Fleet;

/// One image to scan, with every release that lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedImage {
    pub reference: String,
    pub location: String,
    pub releases: Vec<(String, i64)>,
    pub sources: Vec<String>,
    pub labels: BTreeMap<String, String>,
    pub mirrored: bool,
}

/// The images of a fleet (or of one release), each once however many releases list it, in
/// first-listed order.
pub fn plan(fleet: &Fleet, only_release: Option<&str>) -> Vec<PlannedImage> {
    let mut out: Vec<PlannedImage> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    for r in &fleet.releases {
        if only_release.is_some_and(|o| o != r.name) {
            continue;
        }
        for (pos, img) in r.images.iter().enumerate() {
            let pos = i64::try_from(pos).unwrap_or(i64::MAX);
            match index.get(&img.reference) {
                Some(&i) => {
                    let p = &mut out[i];
                    if !p.releases.iter().any(|(n, _)| *n == r.name) {
                        p.releases.push((r.name.clone(), pos));
                    }
                    for s in &img.sources {
                        if !p.sources.contains(s) {
                            p.sources.push(s.clone());
                        }
                    }
                    p.mirrored |= img.mirrored;
                }
                None => {
                    index.insert(img.reference.clone(), out.len());
                    out.push(PlannedImage {
                        reference: img.reference.clone(),
                        location: img.location.clone(),
                        releases: vec![(r.name.clone(), pos)],
                        sources: img.sources.clone(),
                        labels: img.labels.clone(),
                        mirrored: img.mirrored,
                    });
                }
            }
        }
    }
    out
}

/// The shard (0-based) an image belongs to out of `count`: a stable hash of its reference, so
/// every process of a sharded run agrees without talking to the others.
pub fn shard_of(reference: &str, count: u32) -> u32 {
    let h = Sha256::digest(reference.as_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(&h[..8]);
    (u64::from_be_bytes(b) % u64::from(count.max(1))) as u32
}

/// How to scan a fleet.
#[derive(Debug, Clone)]
pub struct FleetScanOptions {
    pub run_id: String,
    pub shard: Shard,
    pub jobs: usize,
    /// The target settings every image shares (platform, limits, cache, registry); `target`
    /// is replaced per image.
    pub spec: TargetSpec,
    pub settings: ScanSettings,
    pub db_path: PathBuf,
    pub drydock_version: String,
    /// Progress on stderr: a bar on a terminal, one line per image otherwise; `false` is quiet.
    pub progress: bool,
}

/// What happened to one image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageResult {
    pub reference: String,
    pub repository: String,
    pub releases: Vec<String>,
    pub status: ScanStatus,
    pub error: Option<String>,
    /// Reported findings (not filtered or suppressed) by severity.
    pub by_severity: BTreeMap<String, usize>,
    pub gate_failed: bool,
    pub layers_analysed: usize,
    pub layers_cached: usize,
    /// Already recorded by an earlier attempt of this run: not scanned again.
    pub resumed: bool,
    /// Packages that could not be checked, per ecosystem: (ecosystem, why, how many).
    pub not_checked: Vec<(String, Option<String>, usize)>,
}

/// Packages of one ecosystem that could not be checked, for one reason, summed over a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotChecked {
    pub ecosystem: String,
    /// Why (`the DB has no advisories for debian 12`), when known.
    pub reason: Option<String>,
    /// Images with such packages, and the packages in all of them.
    pub images: usize,
    pub packages: usize,
}

/// A finished (shard of a) fleet run.
#[derive(Debug, Clone)]
pub struct FleetOutcome {
    pub run_seq: i64,
    pub run_id: String,
    pub status: RunStatus,
    pub images: Vec<ImageResult>,
    /// Distinct layers among the images scanned now.
    pub unique_layers: usize,
}

impl FleetOutcome {
    pub fn failed(&self) -> usize {
        self.images
            .iter()
            .filter(|i| i.status == ScanStatus::Failed)
            .count()
    }
    pub fn gate_failed(&self) -> bool {
        self.images.iter().any(|i| i.gate_failed)
    }
    pub fn layers_analysed(&self) -> usize {
        self.images.iter().map(|i| i.layers_analysed).sum()
    }

    /// What could not be checked, summed over the images: one entry per ecosystem and reason,
    /// most images first.
    pub fn not_checked(&self) -> Vec<NotChecked> {
        let mut sum: BTreeMap<(&str, Option<&str>), (usize, usize)> = BTreeMap::new();
        for i in &self.images {
            for (eco, why, n) in &i.not_checked {
                let e = sum.entry((eco, why.as_deref())).or_default();
                e.0 += 1;
                e.1 += n;
            }
        }
        let mut out: Vec<NotChecked> = sum
            .into_iter()
            .map(|((eco, why), (images, packages))| NotChecked {
                ecosystem: eco.to_string(),
                reason: why.map(str::to_string),
                images,
                packages,
            })
            .collect();
        out.sort_by_key(|n| std::cmp::Reverse(n.images));
        out
    }
}

struct Task {
    index: usize,
    image: PlannedImage,
    /// The opened target, the local path it was read from and its layer keys, once a worker
    /// opened it.
    opened: Option<(Target, String, Vec<String>)>,
}

#[derive(Default)]
struct Schedule {
    pending: Vec<Task>,
    walking: HashSet<String>,
    walked: HashSet<String>,
}

enum Pick {
    Task(Box<Task>),
    Wait,
    Done,
}

impl Schedule {
    fn pick(&mut self, share_layers: bool) -> Pick {
        if self.pending.is_empty() {
            return Pick::Done;
        }
        let pos = self.pending.iter().position(|t| match &t.opened {
            None => true,
            Some((_, _, layers)) => {
                !share_layers || layers.iter().all(|l| !self.walking.contains(l))
            }
        });
        match pos {
            Some(p) => Pick::Task(Box::new(self.pending.remove(p))),
            None => Pick::Wait,
        }
    }
}

/// A failed scan: the message, and the repository when the image opened before it failed.
type Failure = (String, Option<String>);

/// A finished image: its index, the plan entry, the outcome, start and end times.
type Finished = (
    usize,
    PlannedImage,
    Result<drydock_scan::ScanOutcome, Failure>,
    i64,
    i64,
);

enum Msg {
    Started(String),
    Done(Box<Finished>),
}

/// Scans this process's shard of `images` into `store` under `opts.run_id`. Images this run
/// already recorded successfully (an earlier, interrupted attempt) are not scanned again.
pub fn scan_fleet(
    store: &mut Store,
    fleet: &Fleet,
    images: &[PlannedImage],
    opts: &FleetScanOptions,
) -> Result<FleetOutcome, FleetError> {
    let mine: Vec<PlannedImage> = images
        .iter()
        .filter(|i| shard_of(&i.reference, opts.shard.count) == opts.shard.index)
        .cloned()
        .collect();
    let db =
        drydock_advisory::Db::open(&opts.db_path).map_err(|e| FleetError::Db(e.to_string()))?;
    let status = db.status().map_err(|e| FleetError::Db(e.to_string()))?;
    let sources: Vec<String> = status.sources.keys().cloned().collect();
    drop(db);
    let now = drydock_scan::now_unix();
    let seq = store.begin_run(&RunStart {
        run_id: opts.run_id.clone(),
        shard: opts.shard,
        images_planned: mine.len(),
        drydock_version: opts.drydock_version.clone(),
        db_built_at: Some(status.built_at_rfc3339.clone()),
        db_sources: Some(sources.join(",")),
        fleet_digest: Some(fleet.digest.clone()),
        fleet_path: Some(fleet.path.display().to_string()),
        started_at: now,
    })?;

    let mut results: Vec<Option<ImageResult>> = vec![None; mine.len()];
    let mut todo = Vec::new();
    for (i, img) in mine.iter().enumerate() {
        if store.has_ok_scan(seq, &img.reference)? {
            results[i] = Some(ImageResult {
                reference: img.reference.clone(),
                repository: String::new(),
                releases: img.releases.iter().map(|r| r.0.clone()).collect(),
                status: ScanStatus::Ok,
                error: None,
                by_severity: BTreeMap::new(),
                gate_failed: false,
                layers_analysed: 0,
                layers_cached: 0,
                resumed: true,
                not_checked: Vec::new(),
            });
        } else {
            todo.push(Task {
                index: i,
                image: img.clone(),
                opened: None,
            });
        }
    }
    let total = todo.len();
    let share_layers = opts.spec.layer_cache().is_some();
    let schedule = Arc::new((
        Mutex::new(Schedule {
            pending: todo,
            ..Default::default()
        }),
        Condvar::new(),
    ));
    let unique_layers = Arc::new(Mutex::new(HashSet::<String>::new()));
    let progress = Progress::new(opts.progress, total);
    let (tx, rx) = mpsc::channel::<Msg>();
    let jobs = opts.jobs.max(1).min(total.max(1));
    let mut store_error = None;
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            let tx = tx.clone();
            let schedule = Arc::clone(&schedule);
            let unique_layers = Arc::clone(&unique_layers);
            scope.spawn(move || worker(&schedule, &unique_layers, opts, share_layers, &tx));
        }
        drop(tx);
        for msg in rx {
            match msg {
                Msg::Started(r) => progress.started(&r),
                Msg::Done(done) => {
                    let (i, img, outcome, started, finished) = *done;
                    let result = image_result(&img, &outcome);
                    progress.finished(&result);
                    if store_error.is_none()
                        && let Err(e) = record(store, seq, opts, &img, &outcome, started, finished)
                    {
                        // The store is gone or refused: stop handing out work; what was recorded
                        // stays, and the run stays incomplete until it is run again.
                        store_error = Some(e);
                        let (lock, cv) = &*schedule;
                        if let Ok(mut s) = lock.lock() {
                            s.pending.clear();
                        }
                        cv.notify_all();
                    }
                    results[i] = Some(result);
                }
            }
        }
    });
    progress.clear();
    if let Some(e) = store_error {
        return Err(e);
    }
    let status = store.finish_shard(seq, opts.shard.index, drydock_scan::now_unix())?;
    let unique = unique_layers.lock().map(|u| u.len()).unwrap_or_default();
    Ok(FleetOutcome {
        run_seq: seq,
        run_id: opts.run_id.clone(),
        status,
        images: results.into_iter().flatten().collect(),
        unique_layers: unique,
    })
}

fn worker(
    schedule: &(Mutex<Schedule>, Condvar),
    unique_layers: &Mutex<HashSet<String>>,
    opts: &FleetScanOptions,
    share_layers: bool,
    tx: &mpsc::Sender<Msg>,
) {
    let (lock, cv) = schedule;
    let mut db: Option<drydock_advisory::Db> = None;
    loop {
        let mut task = {
            let Ok(mut s) = lock.lock() else { return };
            loop {
                match s.pick(share_layers) {
                    Pick::Done => return,
                    Pick::Task(t) => break *t,
                    Pick::Wait => match cv.wait(s) {
                        Ok(g) => s = g,
                        Err(_) => return,
                    },
                }
            }
        };
        let mut spec = opts.spec.clone();
        spec.target = task.image.location.clone();
        let started = drydock_scan::now_unix();
        // Open first (for a registry reference this pulls it), to learn its layers.
        if task.opened.is_none() {
            let _ = tx.send(Msg::Started(task.image.reference.clone()));
            match drydock_scan::open_local(&spec) {
                Ok((t, local)) => {
                    let layers = match &t {
                        Target::Image(img) => img.layer_keys(),
                        Target::Dir(_) => Vec::new(),
                    };
                    task.opened = Some((t, local, layers));
                    let Ok(mut s) = lock.lock() else { return };
                    let busy = share_layers
                        && task
                            .opened
                            .as_ref()
                            .is_some_and(|(_, _, l)| l.iter().any(|k| s.walking.contains(k)));
                    if busy {
                        // Another worker is walking one of its layers: let it finish first.
                        s.pending.insert(0, task);
                        cv.notify_all();
                        continue;
                    }
                    drop(s);
                }
                Err(e) => {
                    let _ = tx.send(Msg::Done(Box::new((
                        task.index,
                        task.image,
                        Err((chain(&e), None)),
                        started,
                        drydock_scan::now_unix(),
                    ))));
                    continue;
                }
            }
        }
        let Some((target, local, layers)) = task.opened.take() else {
            continue;
        };
        let claimed: Vec<String> = {
            let Ok(mut s) = lock.lock() else { return };
            let fresh: Vec<String> = layers
                .iter()
                .filter(|l| !s.walked.contains(*l) && !s.walking.contains(*l))
                .cloned()
                .collect();
            for l in &fresh {
                s.walking.insert(l.clone());
            }
            fresh
        };
        if let Ok(mut u) = unique_layers.lock() {
            u.extend(layers.iter().cloned());
        }
        let repository = drydock_scan::identity_repository(&spec, &target);
        let outcome = (|| {
            if db.is_none() {
                db = Some(drydock_advisory::Db::open(&opts.db_path).map_err(|e| e.to_string())?);
            }
            let db = db.as_ref().ok_or("no DB")?;
            let mut settings = opts.settings.clone();
            settings.releases = task.image.releases.iter().map(|r| r.0.clone()).collect();
            drydock_scan::scan_opened(&spec, &target, &local, db, &settings).map_err(|e| chain(&e))
        })()
        .map_err(|e| (e, Some(repository)));
        {
            let Ok(mut s) = lock.lock() else { return };
            for l in claimed {
                s.walking.remove(&l);
                // Only a successful walk filled the cache; a failed one may be retried.
                if outcome.is_ok() {
                    s.walked.insert(l);
                }
            }
            cv.notify_all();
        }
        let _ = tx.send(Msg::Done(Box::new((
            task.index,
            task.image,
            outcome,
            started,
            drydock_scan::now_unix(),
        ))));
    }
}

fn image_result(
    img: &PlannedImage,
    outcome: &Result<drydock_scan::ScanOutcome, Failure>,
) -> ImageResult {
    let releases = img.releases.iter().map(|r| r.0.clone()).collect();
    match outcome {
        Ok(o) => {
            let mut by_severity = BTreeMap::new();
            for t in &o.report.targets {
                for d in &t.findings {
                    if matches!(d.verdict, Verdict::Fail | Verdict::Report) {
                        *by_severity
                            .entry(d.finding.severity.to_string())
                            .or_insert(0) += 1;
                    }
                }
            }
            let not_checked = o
                .report
                .targets
                .iter()
                .flat_map(|t| t.unchecked())
                .map(|c| (c.ecosystem.to_string(), c.reason.clone(), c.unmatched))
                .collect();
            ImageResult {
                reference: img.reference.clone(),
                repository: o.repository.clone(),
                releases,
                status: ScanStatus::Ok,
                error: None,
                by_severity,
                gate_failed: o.gate_failed,
                layers_analysed: o.layers_analysed,
                layers_cached: o.layers_cached,
                resumed: false,
                not_checked,
            }
        }
        Err((e, repository)) => ImageResult {
            reference: img.reference.clone(),
            repository: repository.clone().unwrap_or_default(),
            releases,
            status: ScanStatus::Failed,
            error: Some(clean_error(e)),
            by_severity: BTreeMap::new(),
            gate_failed: false,
            layers_analysed: 0,
            layers_cached: 0,
            resumed: false,
            not_checked: Vec::new(),
        },
    }
}

/// An error and its causes on one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        let part = s.to_string();
        if !msg.contains(&part) {
            msg.push_str(": ");
            msg.push_str(&part);
        }
        src = s.source();
    }
    msg
}

/// An error message fit to store and print: control characters escaped, at most 2,000 chars.
pub fn clean_error(e: &str) -> String {
    crate::display::escape(e, 2000)
}

fn record(
    store: &mut Store,
    seq: i64,
    opts: &FleetScanOptions,
    img: &PlannedImage,
    outcome: &Result<drydock_scan::ScanOutcome, Failure>,
    started: i64,
    finished: i64,
) -> Result<(), FleetError> {
    // Findings of a scanner this run does not run are left as last seen.
    let s = opts.settings.scanners;
    let scanned = drydock_store::Scanned {
        vuln: s.vuln,
        misconfig: s.misconfig,
        secret: s.secret,
    };
    let mut scan = ImageScan {
        run_seq: seq,
        reference: img.reference.clone(),
        repository: drydock_match::identity::repository(&img.reference),
        releases: img.releases.clone(),
        status: ScanStatus::Failed,
        error: None,
        digest: None,
        platform: None,
        os: None,
        package_count: 0,
        finding_count: 0,
        layers_analysed: 0,
        layers_cached: 0,
        started_at: started,
        finished_at: finished,
        shard_index: i64::from(opts.shard.index),
        sources: img.sources.clone(),
        labels: img.labels.clone(),
        mirrored: img.mirrored,
    };
    match outcome {
        Err((e, repository)) => {
            scan.error = Some(clean_error(e));
            // The repository of a failed scan: the image's own when it opened, else the one
            // its last good scan had, so `diff` puts "not scanned" on the right image.
            if let Some(r) = repository {
                scan.repository = r.clone();
            } else if let Some(prev) = store
                .image_history(&img.reference, 50)?
                .into_iter()
                .find(|s| s.status == ScanStatus::Ok && s.reference == img.reference)
            {
                scan.repository = prev.repository;
            }
            store.record_image(&scan, &[], &[])?;
        }
        Ok(o) => {
            let Some(t) = o.report.targets.first() else {
                scan.error = Some("the scan produced no target".into());
                store.record_image(&scan, &[], &[])?;
                return Ok(());
            };
            let (obs, vulns) = drydock_store::observations_from_report(t, &o.repository);
            scan.status = ScanStatus::Ok;
            scan.repository = o.repository.clone();
            scan.digest = t.digest.clone();
            scan.platform = t.platform.clone();
            scan.os =
                t.os.as_ref()
                    .map(|os| format!("{} {}", os.family.as_str(), os.version));
            scan.package_count = t.packages.len() as i64;
            scan.finding_count = obs.len() as i64;
            scan.layers_analysed = o.layers_analysed as i64;
            scan.layers_cached = o.layers_cached as i64;
            store.record_image_scanned(&scan, &obs, &vulns, scanned)?;
        }
    }
    Ok(())
}

/// Progress on stderr: an indicatif bar on a terminal, one plain line per image otherwise.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    lines: bool,
    total: usize,
    done: std::cell::Cell<usize>,
}

impl Progress {
    fn new(enabled: bool, total: usize) -> Progress {
        let tty = std::io::stderr().is_terminal();
        let bar = (enabled && tty).then(|| {
            let b = indicatif::ProgressBar::new(total as u64);
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:30} {pos}/{len} images  ETA {eta}  {wide_msg}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            b
        });
        Progress {
            bar,
            lines: enabled && !tty,
            total,
            done: std::cell::Cell::new(0),
        }
    }

    fn started(&self, reference: &str) {
        if let Some(b) = &self.bar {
            b.set_message(crate::display::escape(reference, 80));
        }
    }

    fn finished(&self, r: &ImageResult) {
        self.done.set(self.done.get() + 1);
        if let Some(b) = &self.bar {
            b.inc(1);
        }
        if self.lines {
            let what = match r.status {
                ScanStatus::Ok => {
                    let n: usize = r.by_severity.values().sum();
                    format!("ok, {n} findings")
                }
                ScanStatus::Failed => format!(
                    "FAILED: {}",
                    crate::display::escape(r.error.as_deref().unwrap_or(""), 300)
                ),
            };
            eprintln!(
                "[{}/{}] {}: {what}",
                self.done.get(),
                self.total,
                crate::display::escape(&r.reference, 200)
            );
        }
    }

    fn clear(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
