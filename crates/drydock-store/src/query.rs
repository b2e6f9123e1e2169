//! Reading the history: runs, the images of a run, what an image scan found, an image's history.

use std::collections::BTreeMap;

use crate::conn::Value;
use crate::model::{ImageScan, Observation, Run, RunStatus, ScanStatus, VulnInfo};
use crate::{Store, StoreError};

const RUN_COLUMNS: &str = "r.seq, r.run_id, r.started_at, r.finished_at, r.status, r.shard_count, \
    (SELECT COUNT(*) FROM run_shards s WHERE s.run_seq = r.seq AND s.finished_at IS NOT NULL), \
    r.drydock_version, r.db_built_at, r.db_sources, r.fleet_digest, r.fleet_path, \
    (SELECT COUNT(*) FROM image_scans i WHERE i.run_seq = r.seq AND i.status = 'ok'), \
    (SELECT COUNT(*) FROM image_scans i WHERE i.run_seq = r.seq AND i.status <> 'ok'), \
    (SELECT CAST(COALESCE(SUM(i.finding_count), 0) AS BIGINT) FROM image_scans i WHERE i.run_seq = r.seq), \
    (SELECT CAST(COALESCE(SUM(i.layers_analysed), 0) AS BIGINT) FROM image_scans i WHERE i.run_seq = r.seq), \
    (SELECT CAST(COALESCE(SUM(i.layers_cached), 0) AS BIGINT) FROM image_scans i WHERE i.run_seq = r.seq)";

fn run_of(r: &[Value]) -> Run {
    let int = |i: usize| r.get(i).and_then(Value::int).unwrap_or_default();
    let text = |i: usize| r.get(i).and_then(Value::text);
    Run {
        seq: int(0),
        run_id: text(1).unwrap_or_default(),
        started_at: int(2),
        finished_at: r.get(3).and_then(Value::int),
        status: RunStatus::parse(&text(4).unwrap_or_default()),
        shard_count: int(5),
        shards_finished: int(6),
        drydock_version: text(7).unwrap_or_default(),
        db_built_at: text(8),
        db_sources: text(9),
        fleet_digest: text(10),
        fleet_path: text(11),
        images_ok: int(12),
        images_failed: int(13),
        findings: int(14),
        layers_analysed: int(15),
        layers_cached: int(16),
    }
}

const SCAN_COLUMNS: &str = "run_seq, reference, repository, status, error, digest, platform, os, \
    package_count, finding_count, layers_analysed, layers_cached, started_at, finished_at, \
    shard_index, sources, labels, mirrored";

fn scan_of(r: &[Value]) -> ImageScan {
    let int = |i: usize| r.get(i).and_then(Value::int).unwrap_or_default();
    let text = |i: usize| r.get(i).and_then(Value::text);
    ImageScan {
        run_seq: int(0),
        reference: text(1).unwrap_or_default(),
        repository: text(2).unwrap_or_default(),
        releases: Vec::new(),
        status: ScanStatus::parse(&text(3).unwrap_or_default()),
        error: text(4),
        digest: text(5),
        platform: text(6),
        os: text(7),
        package_count: int(8),
        finding_count: int(9),
        layers_analysed: int(10),
        layers_cached: int(11),
        started_at: int(12),
        finished_at: int(13),
        shard_index: int(14),
        sources: text(15)
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default(),
        labels: text(16)
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default(),
        mirrored: int(17) != 0,
    }
}

impl Store {
    /// The latest `limit` runs, newest first.
    pub fn runs(&mut self, limit: usize) -> Result<Vec<Run>, StoreError> {
        let rows = self.conn.rows(
            &format!("SELECT {RUN_COLUMNS} FROM runs r ORDER BY r.seq DESC LIMIT $1"),
            &[limit.into()],
        )?;
        Ok(rows.iter().map(|r| run_of(r)).collect())
    }

    /// A run by selector: its run id, `#SEQ` or a bare sequence number, `latest` (the newest
    /// complete run), `previous` (the complete run before it), `latest~N`.
    pub fn run(&mut self, selector: &str) -> Result<Run, StoreError> {
        let by_seq = |s: &str| s.strip_prefix('#').unwrap_or(s).parse::<i64>().ok();
        let rows = if let Some(n) = selector
            .strip_prefix("latest~")
            .and_then(|n| n.parse::<usize>().ok())
            .or_else(|| (selector == "latest").then_some(0))
            .or_else(|| (selector == "previous").then_some(1))
        {
            self.conn.rows(
                &format!(
                    "SELECT {RUN_COLUMNS} FROM runs r WHERE r.status = 'complete' \
                     ORDER BY r.seq DESC LIMIT 1 OFFSET $1"
                ),
                &[n.into()],
            )?
        } else {
            let mut rows = self.conn.rows(
                &format!("SELECT {RUN_COLUMNS} FROM runs r WHERE r.run_id = $1"),
                &[selector.into()],
            )?;
            if rows.is_empty()
                && let Some(seq) = by_seq(selector)
            {
                rows = self.conn.rows(
                    &format!("SELECT {RUN_COLUMNS} FROM runs r WHERE r.seq = $1"),
                    &[seq.into()],
                )?;
            }
            rows
        };
        rows.first()
            .map(|r| run_of(r))
            .ok_or_else(|| StoreError::NoRun(selector.to_string()))
    }

    /// The newest complete run that lists `release` (or any release).
    pub fn latest_run_with_release(&mut self, release: &str) -> Result<Run, StoreError> {
        let rows = self.conn.rows(
            &format!(
                "SELECT {RUN_COLUMNS} FROM runs r WHERE r.status = 'complete' AND EXISTS \
                 (SELECT 1 FROM run_releases rr WHERE rr.run_seq = r.seq AND rr.release_name = $1) \
                 ORDER BY r.seq DESC LIMIT 1"
            ),
            &[release.into()],
        )?;
        rows.first()
            .map(|r| run_of(r))
            .ok_or_else(|| StoreError::NoRun(format!("a complete run with release `{release}`")))
    }

    /// Every image scan of a run, with the releases listing each, in release then fleet order.
    pub fn images(&mut self, run_seq: i64) -> Result<Vec<ImageScan>, StoreError> {
        let rows = self.conn.rows(
            &format!(
                "SELECT {SCAN_COLUMNS} FROM image_scans WHERE run_seq = $1 ORDER BY reference"
            ),
            &[run_seq.into()],
        )?;
        let mut scans: Vec<ImageScan> = rows.iter().map(|r| scan_of(r)).collect();
        let rel = self.conn.rows(
            "SELECT reference, release_name, position FROM run_releases WHERE run_seq = $1 \
             ORDER BY release_name, position",
            &[run_seq.into()],
        )?;
        let mut by_ref: BTreeMap<String, Vec<(String, i64)>> = BTreeMap::new();
        for r in rel {
            if let (Some(reference), Some(name)) = (r[0].text(), r[1].text()) {
                by_ref
                    .entry(reference)
                    .or_default()
                    .push((name, r[2].int().unwrap_or_default()));
            }
        }
        for s in &mut scans {
            s.releases = by_ref.remove(&s.reference).unwrap_or_default();
        }
        Ok(scans)
    }

    /// The release names of a run, sorted.
    pub fn releases(&mut self, run_seq: i64) -> Result<Vec<String>, StoreError> {
        let rows = self.conn.rows(
            "SELECT DISTINCT release_name FROM run_releases WHERE run_seq = $1 ORDER BY release_name",
            &[run_seq.into()],
        )?;
        Ok(rows.iter().filter_map(|r| r[0].text()).collect())
    }

    /// What the scan of `reference` in run `run_seq` found (empty for a failed or absent scan:
    /// check [`Store::images`] for the status first).
    pub fn observations(
        &mut self,
        run_seq: i64,
        reference: &str,
    ) -> Result<Vec<Observation>, StoreError> {
        let rows = self.conn.rows(
            "SELECT f.fingerprint, f.repository, f.ecosystem, f.package, f.vuln_id, i.advisory_id, \
             i.installed, i.fixed, i.severity, i.status, i.pkg_type, i.layer, i.path \
             FROM intervals i JOIN findings f ON f.id = i.finding_id \
             WHERE i.reference = $1 AND i.first_seq <= $2 AND (i.last_seq IS NULL OR i.last_seq >= $2) \
             AND EXISTS (SELECT 1 FROM image_scans s WHERE s.run_seq = $2 AND s.reference = $1 AND s.status = 'ok') \
             ORDER BY f.fingerprint",
            &[reference.into(), run_seq.into()],
        )?;
        Ok(rows
            .iter()
            .map(|r| {
                let text = |i: usize| r.get(i).and_then(Value::text);
                Observation {
                    fingerprint: text(0).unwrap_or_default(),
                    repository: text(1).unwrap_or_default(),
                    ecosystem: text(2).unwrap_or_default(),
                    package: text(3).unwrap_or_default(),
                    vuln_id: text(4).unwrap_or_default(),
                    advisory_id: text(5).unwrap_or_default(),
                    installed: text(6).unwrap_or_default(),
                    fixed: text(7),
                    severity: text(8).unwrap_or_default(),
                    status: text(9).unwrap_or_default(),
                    pkg_type: text(10).unwrap_or_default(),
                    layer: text(11),
                    path: text(12),
                }
            })
            .collect())
    }

    /// Whether the finding was seen in any scan of its repository before run `before_seq`.
    pub fn seen_before(&mut self, fingerprint: &str, before_seq: i64) -> Result<bool, StoreError> {
        let rows = self.conn.rows(
            "SELECT 1 FROM intervals i JOIN findings f ON f.id = i.finding_id \
             WHERE f.fingerprint = $1 AND i.first_seq < $2 LIMIT 1",
            &[fingerprint.into(), before_seq.into()],
        )?;
        Ok(!rows.is_empty())
    }

    /// Every scan of an image (a reference with tag) or of a repository, newest first.
    pub fn image_history(
        &mut self,
        image: &str,
        limit: usize,
    ) -> Result<Vec<ImageScan>, StoreError> {
        let rows = self.conn.rows(
            &format!(
                "SELECT {SCAN_COLUMNS} FROM image_scans WHERE reference = $1 OR repository = $1 \
                 ORDER BY run_seq DESC, reference LIMIT $2"
            ),
            &[image.into(), limit.into()],
        )?;
        Ok(rows.iter().map(|r| scan_of(r)).collect())
    }

    /// Distinct images (references) ever scanned, with their latest run and status.
    pub fn known_images(&mut self) -> Result<Vec<ImageScan>, StoreError> {
        let rows = self.conn.rows(
            &format!(
                "SELECT {SCAN_COLUMNS} FROM image_scans s WHERE s.run_seq = \
                 (SELECT MAX(t.run_seq) FROM image_scans t WHERE t.reference = s.reference) \
                 ORDER BY s.repository, s.reference"
            ),
            &[],
        )?;
        Ok(rows.iter().map(|r| scan_of(r)).collect())
    }

    /// Advisory text for these vulnerability ids.
    pub fn vulns(&mut self, ids: &[String]) -> Result<BTreeMap<String, VulnInfo>, StoreError> {
        let mut out = BTreeMap::new();
        for id in ids {
            let rows = self.conn.rows(
                "SELECT vuln_id, title, description, url, aliases, cvss_score, cvss_vector \
                 FROM vulns WHERE vuln_id = $1",
                &[id.as_str().into()],
            )?;
            if let Some(r) = rows.first() {
                let text = |i: usize| r.get(i).and_then(Value::text);
                out.insert(
                    id.clone(),
                    VulnInfo {
                        vuln_id: id.clone(),
                        title: text(1),
                        description: text(2),
                        url: text(3),
                        aliases: text(4)
                            .and_then(|s| serde_json::from_str(&s).ok())
                            .unwrap_or_default(),
                        cvss_score: text(5),
                        cvss_vector: text(6),
                    },
                );
            }
        }
        Ok(out)
    }

    /// Rows of interval storage, for size checks (`drydock history stats`, benchmarks).
    pub fn interval_count(&mut self) -> Result<i64, StoreError> {
        let rows = self.conn.rows("SELECT COUNT(*) FROM intervals", &[])?;
        Ok(rows.first().and_then(|r| r[0].int()).unwrap_or_default())
    }
}
