//! Read-only queries the dashboard (`drydock serve`) needs: every finding a run saw (in one
//! release, one image or for one vulnerability), severity counts over the last runs, and runs a
//! page at a time.

use std::collections::BTreeMap;

use crate::conn::Value;
use crate::model::Observation;
use crate::{Store, StoreError};

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

    /// How many runs the store holds.
    pub fn run_count(&mut self) -> Result<i64, StoreError> {
        let rows = self.conn.rows("SELECT COUNT(*) FROM runs", &[])?;
        Ok(rows.first().and_then(|r| r[0].int()).unwrap_or_default())
    }

    /// Runs newest first, `limit` of them after skipping `offset`.
    pub fn runs_page(
        &mut self,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<crate::Run>, StoreError> {
        let seqs = self.conn.rows(
            "SELECT seq FROM runs ORDER BY seq DESC LIMIT $1 OFFSET $2",
            &[limit.into(), offset.into()],
        )?;
        let mut out = Vec::with_capacity(seqs.len());
        for s in seqs {
            if let Some(seq) = s[0].int() {
                out.push(self.run(&format!("#{seq}"))?);
            }
        }
        Ok(out)
    }
}
