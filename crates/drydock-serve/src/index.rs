//! The findings of a finished run, kept in memory between requests.
//!
//! A whole run is 10⁵–10⁶ findings; loading them, their triage state and their advisory titles
//! on every request took seconds, and filtering, sorting and counting them in SQL still costs a
//! join over every finding of the run per query (bench/README.md). A complete run never
//! changes, so its findings are loaded once into a [`RunIndex`] (every text stored once,
//! rows as small integer records), and each request filters, sorts, counts and pages that
//! in memory. Only triage changes what a run shows: the findings' states are computed again
//! when the triage records (or the date, for expiry) differ from those of the last request.
//!
//! The rows come from the same store queries as [`crate::view::rows`] and pass through the same
//! rules ([`Filter`], [`TriageSuppressor::matching`]), so a view shows what it showed when
//! it was computed from those rows per request (the tests compare both).

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use drydock_policy::Date;
use drydock_store::{ImageScan, LiveQuery, Store, TrendPoint, TriageFilter};
use drydock_triage::TriageSuppressor;

use crate::error::AppError;
use crate::view::{Counts, Filter, FindingRow, Page, RunOut, paginate, severity_rank};

/// No text (an absent optional field).
const NONE: u32 = u32::MAX;

/// How many runs stay indexed (the newest, and the newest of each release viewed).
const KEEP_RUNS: usize = 3;

/// One finding of the run: texts are ids into [`RunIndex::text`].
#[derive(Debug, Clone, Copy)]
struct Slim {
    /// Index into [`RunIndex::images`].
    image: u32,
    vuln: u32,
    advisory: u32,
    package: u32,
    ecosystem: u32,
    installed: u32,
    fixed: u32,
    severity: u32,
    status: u32,
    layer: u32,
    path: u32,
    title: u32,
    url: u32,
    /// `9 - severity_rank`: the severity sort key.
    rank: u8,
    first_seq: i64,
    first_at: i64,
}

#[derive(Debug)]
struct Image {
    reference: u32,
    repository: String,
    releases: Vec<String>,
}

/// Every text once; `lower` for the filters, `order` (the rank in byte order) for sorting.
#[derive(Debug, Default)]
struct Texts {
    text: Vec<Box<str>>,
    lower: Vec<Box<str>>,
    order: Vec<u32>,
    ids: HashMap<Box<str>, u32>,
}

impl Texts {
    fn id(&mut self, s: &str) -> u32 {
        if let Some(id) = self.ids.get(s) {
            return *id;
        }
        let id = u32::try_from(self.text.len()).unwrap_or(NONE - 1);
        self.text.push(s.into());
        self.ids.insert(s.into(), id);
        id
    }

    fn opt(&mut self, s: Option<&str>) -> u32 {
        s.map_or(NONE, |s| self.id(s))
    }

    fn seal(&mut self) {
        self.ids = HashMap::new();
        self.lower = self.text.iter().map(|t| t.to_lowercase().into()).collect();
        let mut by: Vec<u32> = (0..self.text.len())
            .filter_map(|i| u32::try_from(i).ok())
            .collect();
        by.sort_by(|a, b| self.text[*a as usize].cmp(&self.text[*b as usize]));
        self.order = vec![0; self.text.len()];
        for (rank, id) in by.into_iter().enumerate() {
            self.order[id as usize] = u32::try_from(rank).unwrap_or(u32::MAX);
        }
    }
}

/// The findings of one run (the rows of [`crate::view::rows`] without their state).
#[derive(Debug)]
pub struct RunIndex {
    run_seq: i64,
    texts: Texts,
    images: Vec<Image>,
    rows: Vec<Slim>,
    /// The distinct vulnerability ids (text ids), for matching triage records.
    vulns: Vec<u32>,
    states: Mutex<Option<Arc<States>>>,
}

/// The triage state of every row, for one set of triage records and one day.
#[derive(Debug)]
pub struct States {
    key: u64,
    state: Vec<&'static str>,
    /// Rows a record applies to: its id and expiry.
    matched: HashMap<u32, (i64, Option<String>)>,
}

impl RunIndex {
    fn build(store: &mut Store, run_seq: i64) -> Result<RunIndex, AppError> {
        let live = store.live_findings(&LiveQuery {
            run_seq,
            ..LiveQuery::default()
        })?;
        let scans: Vec<ImageScan> = store.images(run_seq)?;
        let ids: Vec<String> = live
            .iter()
            .map(|l| l.observation.vuln_id.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let vulns = store.vuln_titles(&ids)?;
        let mut texts = Texts::default();
        texts.id("");
        let mut image_of: HashMap<String, u32> = HashMap::new();
        let mut images = Vec::new();
        for s in scans {
            let n = u32::try_from(images.len()).unwrap_or(NONE);
            images.push(Image {
                reference: texts.id(&s.reference),
                repository: s.repository,
                releases: s.releases.into_iter().map(|(name, _)| name).collect(),
            });
            image_of.insert(s.reference, n);
        }
        let mut rows = Vec::with_capacity(live.len());
        let mut vuln_set = HashSet::new();
        for l in live {
            let o = l.observation;
            let image = match image_of.get(&l.reference) {
                Some(i) => *i,
                None => {
                    // A finding of an image the run does not list (cannot happen: the query
                    // joins the run's scans); shown without releases, as before.
                    let n = u32::try_from(images.len()).unwrap_or(NONE);
                    images.push(Image {
                        reference: texts.id(&l.reference),
                        repository: o.repository.clone(),
                        releases: Vec::new(),
                    });
                    image_of.insert(l.reference.clone(), n);
                    n
                }
            };
            let severity = o.severity.to_ascii_uppercase();
            let v = vulns.get(&o.vuln_id);
            let vuln = texts.id(&o.vuln_id);
            vuln_set.insert(vuln);
            rows.push(Slim {
                image,
                vuln,
                advisory: texts.id(&o.advisory_id),
                package: texts.id(&o.package),
                ecosystem: texts.id(&o.ecosystem),
                installed: texts.id(&o.installed),
                fixed: texts.opt(o.fixed.as_deref()),
                rank: u8::try_from(9 - severity_rank(&severity)).unwrap_or(0),
                severity: texts.id(&severity),
                status: texts.id(&o.status),
                layer: texts.opt(o.layer.as_deref()),
                path: texts.opt(o.path.as_deref()),
                title: texts.opt(v.and_then(|v| v.0.as_deref())),
                url: texts.opt(v.and_then(|v| v.1.as_deref())),
                first_seq: l.first_seen_seq,
                first_at: l.first_seen_at,
            });
        }
        texts.seal();
        Ok(RunIndex {
            run_seq,
            texts,
            images,
            rows,
            vulns: vuln_set.into_iter().collect(),
            states: Mutex::new(None),
        })
    }

    fn t(&self, id: u32) -> &str {
        self.texts.text.get(id as usize).map_or("", |s| s)
    }

    fn opt(&self, id: u32) -> Option<String> {
        (id != NONE).then(|| self.t(id).to_string())
    }

    fn lower(&self, id: u32) -> Option<&str> {
        self.texts.lower.get(id as usize).map(|s| &**s)
    }

    fn order(&self, id: u32) -> i64 {
        self.texts
            .order
            .get(id as usize)
            .map_or(-1, |o| i64::from(*o))
    }

    /// The states of every row under the store's current triage records on `today`.
    pub fn states(&self, store: &mut Store, today: Date) -> Result<Arc<States>, AppError> {
        let records = store.triage_list(&TriageFilter::default())?;
        let mut h = std::collections::hash_map::DefaultHasher::new();
        serde_json::to_string(&records)
            .map_err(|e| AppError::Internal(format!("triage records: {e}")))?
            .hash(&mut h);
        today.to_string().hash(&mut h);
        let key = h.finish();
        if let Ok(cached) = self.states.lock()
            && let Some(s) = cached.as_ref()
            && s.key == key
        {
            return Ok(s.clone());
        }
        let triage = TriageSuppressor::new(&records);
        let wanted: HashSet<String> = records
            .iter()
            .map(|r| r.key.vuln_id.to_ascii_lowercase())
            .collect();
        let hit: HashSet<u32> = self
            .vulns
            .iter()
            .copied()
            .filter(|v| wanted.contains(&self.t(*v).to_ascii_lowercase()))
            .collect();
        let mut state = vec!["untriaged"; self.rows.len()];
        let mut matched = HashMap::new();
        for (i, r) in self.rows.iter().enumerate() {
            if !hit.contains(&r.vuln) {
                continue;
            }
            let img = &self.images[r.image as usize];
            let m = triage.matching(
                &img.repository,
                &img.releases,
                self.t(r.ecosystem),
                self.t(r.package),
                self.t(r.vuln),
            );
            if let Some(m) = m {
                state[i] = if m.triage.is_expired(today) {
                    "expired"
                } else {
                    m.triage.state.as_str()
                };
                if let Ok(i) = u32::try_from(i) {
                    matched.insert(i, (m.id, m.triage.expires.map(|d| d.to_string())));
                }
            }
        }
        let s = Arc::new(States {
            key,
            state,
            matched,
        });
        if let Ok(mut cached) = self.states.lock() {
            *cached = Some(s.clone());
        }
        Ok(s)
    }

    /// Rows, in the store's order (image reference, then fingerprint), that `keep` selects.
    pub fn select(&self, mut keep: impl FnMut(Row<'_>) -> bool, st: &States) -> Vec<u32> {
        (0..self.rows.len())
            .filter_map(|i| u32::try_from(i).ok())
            .filter(|i| keep(self.row(*i, st)))
            .collect()
    }

    pub fn row<'a>(&'a self, i: u32, st: &'a States) -> Row<'a> {
        Row { ix: self, st, i }
    }

    /// Counts by severity and state.
    pub fn counts(&self, rows: &[u32], st: &States) -> Counts {
        let mut sev: HashMap<u32, usize> = HashMap::new();
        let mut state: HashMap<&str, usize> = HashMap::new();
        for i in rows {
            let r = self.row(*i, st);
            *sev.entry(r.slim().severity).or_default() += 1;
            *state.entry(r.state()).or_default() += 1;
        }
        Counts {
            total: rows.len(),
            by_severity: sev
                .into_iter()
                .map(|(k, n)| (self.t(k).to_string(), n))
                .collect(),
            by_state: state.into_iter().map(|(k, n)| (k.to_string(), n)).collect(),
        }
    }

    /// Sorts as [`Filter::apply`] does (a stable sort of the rows in store order, reversed
    /// for a descending order) and cuts one page; the rows must be filtered already.
    pub fn page(&self, mut rows: Vec<u32>, f: &Filter, st: &States) -> Page<FindingRow> {
        let state_rank: HashMap<&str, i64> = {
            let mut names: Vec<&str> = rows.iter().map(|i| st.state[*i as usize]).collect();
            names.sort_unstable();
            names.dedup();
            names.into_iter().zip(0..).collect()
        };
        let key = |i: &u32| -> (i64, u8, i64, i64) {
            let r = &self.rows[*i as usize];
            let reference = self.images[r.image as usize].reference;
            let main = match f.sort {
                "severity" => i64::from(r.rank),
                "vuln" => self.order(r.vuln),
                "package" => self.order(r.package),
                "image" => self.order(reference),
                "state" => state_rank
                    .get(st.state[*i as usize])
                    .copied()
                    .unwrap_or_default(),
                "first_seen" => r.first_at,
                // `fixed`: no fixed version sorts as the empty text (id 0).
                _ => self.order(if r.fixed == NONE { 0 } else { r.fixed }),
            };
            (main, r.rank, self.order(r.vuln), self.order(reference))
        };
        rows.sort_by_cached_key(key);
        if f.desc {
            rows.reverse();
        }
        let page = paginate(rows, f.page, f.per_page);
        Page {
            items: page
                .items
                .iter()
                .map(|i| self.finding_row(*i, st))
                .collect(),
            total: page.total,
            page: page.page,
            per_page: page.per_page,
            pages: page.pages,
        }
    }

    pub fn finding_row(&self, i: u32, st: &States) -> FindingRow {
        let r = &self.rows[i as usize];
        let img = &self.images[r.image as usize];
        let m = st.matched.get(&i);
        FindingRow {
            reference: self.t(img.reference).to_string(),
            repository: img.repository.clone(),
            releases: img.releases.clone(),
            vuln_id: self.t(r.vuln).to_string(),
            advisory_id: self.t(r.advisory).to_string(),
            package: self.t(r.package).to_string(),
            ecosystem: self.t(r.ecosystem).to_string(),
            installed: self.t(r.installed).to_string(),
            fixed: self.opt(r.fixed),
            severity: self.t(r.severity).to_string(),
            status: self.t(r.status).to_string(),
            layer: self.opt(r.layer),
            path: self.opt(r.path),
            first_seen_run: r.first_seq,
            first_seen_at: r.first_at,
            new: r.first_seq == self.run_seq,
            state: st.state[i as usize].to_string(),
            triage_id: m.map(|m| m.0),
            expires: m.and_then(|m| m.1.clone()),
            title: self.opt(r.title),
            url: self.opt(r.url),
        }
    }
}

/// One row with its state, for the selections of the views.
#[derive(Clone, Copy)]
pub struct Row<'a> {
    ix: &'a RunIndex,
    st: &'a States,
    i: u32,
}

impl<'a> Row<'a> {
    fn slim(&self) -> &'a Slim {
        &self.ix.rows[self.i as usize]
    }

    pub fn state(&self) -> &'static str {
        self.st.state[self.i as usize]
    }

    pub fn is_new(&self) -> bool {
        self.slim().first_seq == self.ix.run_seq
    }

    pub fn vuln(&self) -> &'a str {
        self.ix.t(self.slim().vuln)
    }

    pub fn reference(&self) -> &'a str {
        self.ix
            .t(self.ix.images[self.slim().image as usize].reference)
    }

    pub fn in_release(&self, name: &str) -> bool {
        self.ix.images[self.slim().image as usize]
            .releases
            .iter()
            .any(|r| r == name)
    }

    /// [`Filter::keeps`] on this row.
    pub fn kept_by(&self, f: &Filter) -> bool {
        let r = self.slim();
        let ix = self.ix;
        let has = |id: u32, needle: &str| ix.lower(id).is_some_and(|t| t.contains(needle));
        (f.severities.is_empty() || f.severities.iter().any(|s| s == ix.t(r.severity)))
            && (f.states.is_empty() || f.states.iter().any(|s| s == self.state()))
            && f.package.as_ref().is_none_or(|p| has(r.package, p))
            && f.ecosystem
                .as_ref()
                .is_none_or(|e| ix.t(r.ecosystem).eq_ignore_ascii_case(e))
            && f.q.as_ref().is_none_or(|q| {
                let reference = ix.images[r.image as usize].reference;
                [r.vuln, r.advisory, r.package, reference, r.title]
                    .into_iter()
                    .any(|id| id != NONE && has(id, q))
            })
    }
}

/// Indexed runs and the overview's trend points, shared by the requests.
#[derive(Debug, Default)]
pub struct Cache {
    runs: Mutex<Vec<Arc<RunIndex>>>,
    /// Serializes index builds: two requests for a new run build it once.
    building: Mutex<()>,
    trends: Mutex<Option<(TrendKey, Trends)>>,
    /// Complete runs as the runs page shows them (their counts are per-image subqueries).
    run_outs: Mutex<HashMap<i64, RunOut>>,
}

type TrendKey = ((i64, i64), Vec<Option<String>>);
/// Per release selection, the points oldest first.
type Trends = Arc<Vec<Vec<TrendPoint>>>;

impl Cache {
    /// The index of a run; cached when the run is complete (it no longer changes).
    pub fn run(
        &self,
        store: &mut Store,
        run_seq: i64,
        complete: bool,
    ) -> Result<Arc<RunIndex>, AppError> {
        let find = || {
            self.runs
                .lock()
                .ok()
                .and_then(|v| v.iter().find(|r| r.run_seq == run_seq).cloned())
        };
        if let Some(r) = find() {
            return Ok(r);
        }
        if !complete {
            return Ok(Arc::new(RunIndex::build(store, run_seq)?));
        }
        let _one = self.building.lock();
        if let Some(r) = find() {
            return Ok(r);
        }
        let ix = Arc::new(RunIndex::build(store, run_seq)?);
        if let Ok(mut v) = self.runs.lock() {
            v.push(ix.clone());
            if v.len() > KEEP_RUNS {
                v.remove(0);
            }
        }
        Ok(ix)
    }

    /// A run for display; kept once the run is complete.
    pub fn run_out(&self, store: &mut Store, seq: i64, complete: bool) -> Result<RunOut, AppError> {
        if complete && let Some(r) = self.run_outs.lock().ok().and_then(|m| m.get(&seq).cloned()) {
            return Ok(r);
        }
        let r = RunOut::from(&store.run(&format!("#{seq}"))?);
        if complete && let Ok(mut m) = self.run_outs.lock() {
            m.insert(seq, r.clone());
        }
        Ok(r)
    }

    /// Severity counts over the last `runs` complete runs per release selection, recomputed
    /// only when a run has completed since.
    pub fn trends(
        &self,
        store: &mut Store,
        releases: Vec<Option<String>>,
        runs: usize,
    ) -> Result<Trends, AppError> {
        let key = (store.complete_runs_key()?, releases);
        if let Ok(t) = self.trends.lock()
            && let Some((k, v)) = t.as_ref()
            && *k == key
        {
            return Ok(v.clone());
        }
        let v = Arc::new(store.severity_trends(&key.1, runs)?);
        if let Ok(mut t) = self.trends.lock() {
            *t = Some((key, v.clone()));
        }
        Ok(v)
    }
}
