//! Read-only queries the dashboard (`drydock serve`) needs: every finding a run saw (in one
//! release, one image or for one vulnerability), severity counts over the last runs, and runs a
//! page at a time.

use std::collections::BTreeMap;

use crate::conn::Value;
use crate::model::Observation;
use crate::{Store, StoreError};

/// A vulnerability's title and advisory URL.
type TitleAndUrl = (Option<String>, Option<String>);

/// A finding present in one image scan of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveFinding {
    /// The image reference the run scanned.
    pub reference: String,
    pub observation: Observation,
    /// The run in which the finding's identity was first seen, in any scan of its repository.
    pub first_seen_seq: i64,
    /// When that run started (Unix seconds).
    pub first_seen_at: i64,
}

/// Which findings of a run [`Store::live_findings`] returns; every set criterion must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveQuery {
    pub run_seq: i64,
    /// Only images the run lists in this release.
    pub release: Option<String>,
    /// Only this image reference.
    pub reference: Option<String>,
    /// Only this vulnerability id (the identity's, the CVE when there is one).
    pub vuln_id: Option<String>,
}

/// Findings per severity of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrendPoint {
    pub run_seq: i64,
    pub run_id: String,
    pub started_at: i64,
    pub by_severity: BTreeMap<String, i64>,
}

impl Store {
    /// Every finding present in the successful image scans of a run, sorted by reference then
    /// fingerprint. A failed scan contributes nothing (its findings are unknown, not gone).
    pub fn live_findings(&mut self, q: &LiveQuery) -> Result<Vec<LiveFinding>, StoreError> {
        let rows = self.present(q, None)?;
        let started: BTreeMap<i64, i64> = self
            .conn
            .rows("SELECT seq, started_at FROM runs", &[])?
            .iter()
            .filter_map(|r| Some((r[0].int()?, r[1].int()?)))
            .collect();
        Ok(rows
            .into_iter()
            .map(|(reference, observation, first)| LiveFinding {
                reference,
                observation,
                first_seen_seq: first,
                first_seen_at: started.get(&first).copied().unwrap_or_default(),
            })
            .collect())
    }

    /// Findings per severity in each of the last `runs` complete runs (oldest first), over the
    /// images of `release` (or every image). A run without findings is a point with no counts.
    pub fn severity_trend(
        &mut self,
        release: Option<&str>,
        runs: usize,
    ) -> Result<Vec<TrendPoint>, StoreError> {
        let recent = self.conn.rows(
            "SELECT seq, run_id, started_at FROM runs WHERE status = 'complete' \
             ORDER BY seq DESC LIMIT $1",
            &[runs.into()],
        )?;
        let Some(oldest) = recent.last().and_then(|r| r[0].int()) else {
            return Ok(Vec::new());
        };
        let mut sql = String::from(
            "SELECT s.run_seq, i.severity, COUNT(*) FROM image_scans s \
             JOIN runs r ON r.seq = s.run_seq AND r.status = 'complete' \
             JOIN intervals i ON i.ref_id = s.ref_id AND i.first_seq <= s.run_seq \
             AND (i.last_seq IS NULL OR i.last_seq >= s.run_seq) \
             WHERE s.status = 'ok' AND s.run_seq >= $1",
        );
        let mut params: Vec<Value> = vec![oldest.into()];
        if let Some(r) = release {
            params.push(r.into());
            sql.push_str(
                " AND EXISTS (SELECT 1 FROM run_releases rr WHERE rr.run_seq = s.run_seq \
                 AND rr.release_name = $2 AND rr.ref_id = s.ref_id)",
            );
        }
        sql.push_str(" GROUP BY s.run_seq, i.severity");
        let counts = self.conn.rows(&sql, &params)?;
        let mut by_run: BTreeMap<i64, BTreeMap<String, i64>> = BTreeMap::new();
        for c in counts {
            if let (Some(seq), Some(sev), Some(n)) = (c[0].int(), c[1].text(), c[2].int()) {
                by_run.entry(seq).or_default().insert(sev, n);
            }
        }
        Ok(recent
            .iter()
            .rev()
            .map(|r| {
                let seq = r[0].int().unwrap_or_default();
                TrendPoint {
                    run_seq: seq,
                    run_id: r[1].text().unwrap_or_default(),
                    started_at: r[2].int().unwrap_or_default(),
                    by_severity: by_run.remove(&seq).unwrap_or_default(),
                }
            })
            .collect())
    }

    /// The same points as [`Store::severity_trend`] for several release selections at once
    /// (`None`: every image), from one pass over the intervals that overlap the window instead
    /// of one join per run and image: a finding is present in run `k` of an image that run
    /// scanned successfully when its interval spans `k`, so counting intervals by
    /// (image, severity, first, last) and adding them up per run gives every run's counts.
    pub fn severity_trends(
        &mut self,
        releases: &[Option<String>],
        runs: usize,
    ) -> Result<Vec<Vec<TrendPoint>>, StoreError> {
        let recent = self.conn.rows(
            "SELECT seq, run_id, started_at FROM runs WHERE status = 'complete' \
             ORDER BY seq DESC LIMIT $1",
            &[runs.into()],
        )?;
        let seqs: Vec<i64> = recent.iter().filter_map(|r| r[0].int()).collect();
        let (Some(&newest), Some(&oldest)) = (seqs.first(), seqs.last()) else {
            return Ok(releases.iter().map(|_| Vec::new()).collect());
        };
        let window: Vec<Value> = vec![oldest.into(), newest.into()];
        // Images each run scanned successfully, and the releases listing them.
        let mut scanned: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
        for r in self.conn.rows(
            "SELECT s.run_seq, s.ref_id FROM image_scans s JOIN runs r ON r.seq = s.run_seq \
             WHERE r.status = 'complete' AND s.status = 'ok' AND s.run_seq BETWEEN $1 AND $2",
            &window,
        )? {
            if let (Some(seq), Some(id)) = (r[0].int(), r[1].int()) {
                scanned.entry(seq).or_default().push(id);
            }
        }
        let mut listed: std::collections::HashSet<(i64, String, i64)> = Default::default();
        if releases.iter().any(Option::is_some) {
            for r in self.conn.rows(
                "SELECT run_seq, release_name, ref_id FROM run_releases \
                 WHERE run_seq BETWEEN $1 AND $2",
                &window,
            )? {
                if let (Some(seq), Some(name), Some(id)) = (r[0].int(), r[1].text(), r[2].int()) {
                    listed.insert((seq, name, id));
                }
            }
        }
        // Per image: (severity, first_seq, last_seq or None, count).
        type Spans = Vec<(String, i64, Option<i64>, i64)>;
        let mut spans: std::collections::HashMap<i64, Spans> = Default::default();
        for r in self.conn.rows(
            "SELECT ref_id, severity, first_seq, last_seq, COUNT(*) FROM intervals \
             WHERE first_seq <= $2 AND (last_seq IS NULL OR last_seq >= $1) \
             GROUP BY ref_id, severity, first_seq, last_seq",
            &window,
        )? {
            if let (Some(id), Some(sev), Some(first), Some(n)) =
                (r[0].int(), r[1].text(), r[2].int(), r[4].int())
            {
                spans
                    .entry(id)
                    .or_default()
                    .push((sev, first, r[3].int(), n));
            }
        }
        let mut out = Vec::with_capacity(releases.len());
        for release in releases {
            let mut points = Vec::with_capacity(recent.len());
            for r in recent.iter().rev() {
                let seq = r[0].int().unwrap_or_default();
                let mut by_severity: BTreeMap<String, i64> = BTreeMap::new();
                for id in scanned.get(&seq).into_iter().flatten() {
                    if let Some(name) = release
                        && !listed.contains(&(seq, name.clone(), *id))
                    {
                        continue;
                    }
                    for (sev, first, last, n) in spans.get(id).into_iter().flatten() {
                        if *first <= seq && last.is_none_or(|l| l >= seq) {
                            *by_severity.entry(sev.clone()).or_default() += n;
                        }
                    }
                }
                points.push(TrendPoint {
                    run_seq: seq,
                    run_id: r[1].text().unwrap_or_default(),
                    started_at: r[2].int().unwrap_or_default(),
                    by_severity,
                });
            }
            out.push(points);
        }
        Ok(out)
    }

    /// The number of complete runs and the newest one's sequence number: changes when a run
    /// completes (what a cache of per-run counts is keyed on).
    pub fn complete_runs_key(&mut self) -> Result<(i64, i64), StoreError> {
        let rows = self.conn.rows(
            "SELECT COUNT(*), MAX(seq) FROM runs WHERE status = 'complete'",
            &[],
        )?;
        let r = rows.first();
        Ok((
            r.and_then(|r| r[0].int()).unwrap_or_default(),
            r.and_then(|r| r[1].int()).unwrap_or_default(),
        ))
    }

    /// The title and URL of each of these vulnerabilities the store has text for, 500 ids a
    /// query ([`Store::vulns`] reads everything, one id at a time: a whole run's ids are 10⁵).
    pub fn vuln_titles(
        &mut self,
        ids: &[String],
    ) -> Result<BTreeMap<String, TitleAndUrl>, StoreError> {
        let mut out = BTreeMap::new();
        for chunk in ids.chunks(500) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let params: Vec<Value> = chunk.iter().map(|id| id.as_str().into()).collect();
            for r in self.conn.rows(
                &format!(
                    "SELECT vuln_id, title, url FROM vulns WHERE vuln_id IN ({})",
                    marks.join(", ")
                ),
                &params,
            )? {
                if let Some(id) = r[0].text() {
                    out.insert(id, (r[1].text(), r[2].text()));
                }
            }
        }
        Ok(out)
    }

    /// How many runs the store holds.
    pub fn run_count(&mut self) -> Result<i64, StoreError> {
        let rows = self.conn.rows("SELECT COUNT(*) FROM runs", &[])?;
        Ok(rows.first().and_then(|r| r[0].int()).unwrap_or_default())
    }

    /// Runs newest first, `limit` of them after skipping `offset`: each run's sequence number
    /// and whether it is complete (its details are [`Store::run`]`("#SEQ")`).
    pub fn runs_page(
        &mut self,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<(i64, bool)>, StoreError> {
        let rows = self.conn.rows(
            "SELECT seq, status FROM runs ORDER BY seq DESC LIMIT $1 OFFSET $2",
            &[limit.into(), offset.into()],
        )?;
        Ok(rows
            .iter()
            .filter_map(|r| Some((r[0].int()?, r[1].text()? == "complete")))
            .collect())
    }
}
