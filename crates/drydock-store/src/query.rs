//! Reading the history: runs, the images of a run, what an image scan found, an image's history.

use std::collections::BTreeMap;

use crate::conn::Value;
use crate::model::{ImageScan, Observation, Run, RunStatus, ScanStatus, VulnInfo};
use crate::serve_queries::LiveQuery;
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

const SCAN_COLUMNS: &str = "s.run_seq, r.reference, p.name, s.status, s.error, s.digest, \
    s.platform, s.os, s.package_count, s.finding_count, s.layers_analysed, s.layers_cached, \
    s.started_at, s.finished_at, s.shard_index, s.sources, s.labels, s.mirrored";

/// Image scans with their reference (`r`) and repository (`p`).
const SCAN_FROM: &str = "image_scans s JOIN image_refs r ON r.id = s.ref_id \
    JOIN repositories p ON p.id = r.repository_id";

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

/// [`Store::run_observations_not_in`]: `(reference, observation)` of what changed, and per
/// reference how many observations were left out as shared with the other run.
pub type ObservationsNotIn = (Vec<(String, Observation)>, BTreeMap<String, usize>);

/// SQL: interval `i` of image scan `s` is also present in the successful scan of the same
/// reference in the run bound to `$n`.
fn shared_with(n: usize) -> String {
    format!(
        "(i.first_seq <= ${n} AND (i.last_seq IS NULL OR i.last_seq >= ${n}) \
         AND EXISTS (SELECT 1 FROM image_scans o WHERE o.run_seq = ${n} \
         AND o.ref_id = s.ref_id AND o.status = 'ok'))"
    )
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
                "SELECT {SCAN_COLUMNS} FROM {SCAN_FROM} WHERE s.run_seq = $1 ORDER BY r.reference"
            ),
            &[run_seq.into()],
        )?;
        let mut scans: Vec<ImageScan> = rows.iter().map(|r| scan_of(r)).collect();
        let rel = self.conn.rows(
            "SELECT r.reference, rr.release_name, rr.position FROM run_releases rr \
             JOIN image_refs r ON r.id = rr.ref_id WHERE rr.run_seq = $1 \
             ORDER BY rr.release_name, rr.position",
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
        let q = LiveQuery {
            run_seq,
            reference: Some(reference.to_string()),
            ..LiveQuery::default()
        };
        Ok(self
            .present(&q, None)?
            .into_iter()
            .map(|(_, o, _)| o)
            .collect())
    }

    /// What every successful image scan of run `run_seq` found, as `(reference, observation)`
    /// sorted by reference then fingerprint: one query for the whole run.
    pub fn run_observations(
        &mut self,
        run_seq: i64,
    ) -> Result<Vec<(String, Observation)>, StoreError> {
        let q = LiveQuery {
            run_seq,
            ..LiveQuery::default()
        };
        Ok(self
            .present(&q, None)?
            .into_iter()
            .map(|(r, o, _)| (r, o))
            .collect())
    }

    /// [`Store::run_observations`] of run `run_seq` without the observations run `other` made
    /// too (the same reference scanned successfully in both runs, the finding unchanged
    /// between them), and how many were left out per reference. A diff of two runs compares
    /// what changed and counts the rest.
    pub fn run_observations_not_in(
        &mut self,
        run_seq: i64,
        other: i64,
    ) -> Result<ObservationsNotIn, StoreError> {
        let q = LiveQuery {
            run_seq,
            ..LiveQuery::default()
        };
        let changed = self
            .present(&q, Some(other))?
            .into_iter()
            .map(|(r, o, _)| (r, o))
            .collect();
        let rows = self.conn.rows(
            &format!(
                "SELECT r.reference, COUNT(*) FROM image_scans s \
                 JOIN image_refs r ON r.id = s.ref_id JOIN intervals i ON i.ref_id = s.ref_id \
                 WHERE s.run_seq = $1 AND s.status = 'ok' \
                 AND i.first_seq <= $1 AND (i.last_seq IS NULL OR i.last_seq >= $1) AND {} \
                 GROUP BY r.reference",
                shared_with(2)
            ),
            &[run_seq.into(), other.into()],
        )?;
        let shared = rows
            .iter()
            .filter_map(|r| Some((r[0].text()?, usize::try_from(r[1].int()?).ok()?)))
            .collect();
        Ok((changed, shared))
    }

    /// The findings present in the successful image scans of a run that `q` selects, as
    /// `(reference, observation, the finding's first run)`, sorted by reference then
    /// fingerprint. A failed scan contributes nothing (its findings are unknown, not gone).
    ///
    /// With `not_in: Some(other)`, an observation that is also the one run `other`'s
    /// successful scan of the same reference saw (the same interval: present in both runs,
    /// unchanged) is left out.
    pub(crate) fn present(
        &mut self,
        q: &LiveQuery,
        not_in: Option<i64>,
    ) -> Result<Vec<(String, Observation, i64)>, StoreError> {
        let mut sql = String::from(
            "SELECT r.reference, f.fingerprint, p.name, f.ecosystem, f.package, f.vuln_id, \
             COALESCE(i.advisory_id, f.vuln_id), i.installed, i.fixed, i.severity, i.status, \
             i.pkg_type, NULLIF(l.layer, ''), NULLIF(l.path, ''), f.first_seq \
             FROM image_scans s JOIN image_refs r ON r.id = s.ref_id \
             JOIN intervals i ON i.ref_id = s.ref_id \
             JOIN findings f ON f.id = i.finding_id \
             JOIN repositories p ON p.id = f.repository_id \
             LEFT JOIN locations l ON l.id = i.location_id \
             WHERE s.run_seq = $1 AND s.status = 'ok' \
             AND i.first_seq <= $1 AND (i.last_seq IS NULL OR i.last_seq >= $1)",
        );
        let mut params: Vec<Value> = vec![q.run_seq.into()];
        if let Some(other) = not_in {
            params.push(other.into());
            sql.push_str(&format!(" AND NOT {}", shared_with(params.len())));
        }
        if let Some(rel) = &q.release {
            params.push(rel.as_str().into());
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM run_releases rr WHERE rr.run_seq = $1 \
                 AND rr.release_name = ${} AND rr.ref_id = s.ref_id)",
                params.len()
            ));
        }
        if let Some(reference) = &q.reference {
            params.push(reference.as_str().into());
            sql.push_str(&format!(" AND r.reference = ${}", params.len()));
        }
        if let Some(v) = &q.vuln_id {
            params.push(v.as_str().into());
            sql.push_str(&format!(" AND f.vuln_id = ${}", params.len()));
        }
        let rows = self.conn.rows(&sql, &params)?;
        // Sorted here, not by the database: a whole run is 10⁵–10⁶ rows, and a sort in SQL
        // spills to a temporary B-tree that costs more than the query.
        let mut out: Vec<(String, Observation, i64)> = rows
            .into_iter()
            .map(|r| {
                let mut r = r.into_iter();
                let mut text = || r.next().and_then(Value::into_text);
                let reference = text().unwrap_or_default();
                let o = Observation {
                    fingerprint: text().unwrap_or_default(),
                    repository: text().unwrap_or_default(),
                    ecosystem: text().unwrap_or_default(),
                    package: text().unwrap_or_default(),
                    vuln_id: text().unwrap_or_default(),
                    advisory_id: text().unwrap_or_default(),
                    installed: text().unwrap_or_default(),
                    fixed: text(),
                    severity: text().unwrap_or_default(),
                    status: text().unwrap_or_default(),
                    pkg_type: text().unwrap_or_default(),
                    layer: text(),
                    path: text(),
                };
                let first = r.next().and_then(|v| v.int()).unwrap_or_default();
                (reference, o, first)
            })
            .collect();
        out.sort_unstable_by(|a, b| (&a.0, &a.1.fingerprint).cmp(&(&b.0, &b.1.fingerprint)));
        Ok(out)
    }

    /// Whether the finding was seen in any scan of its repository before run `before_seq`.
    pub fn seen_before(&mut self, fingerprint: &str, before_seq: i64) -> Result<bool, StoreError> {
        let rows = self.conn.rows(
            "SELECT 1 FROM findings WHERE fingerprint = $1 AND first_seq < $2",
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
                "SELECT {SCAN_COLUMNS} FROM {SCAN_FROM} WHERE s.ref_id IN \
                 (SELECT id FROM image_refs WHERE reference = $1 UNION \
                  SELECT x.id FROM image_refs x JOIN repositories y ON y.id = x.repository_id \
                  WHERE y.name = $1) \
                 ORDER BY s.run_seq DESC, r.reference LIMIT $2"
            ),
            &[image.into(), limit.into()],
        )?;
        Ok(rows.iter().map(|r| scan_of(r)).collect())
    }

    /// Distinct images (references) ever scanned, with their latest run and status.
    pub fn known_images(&mut self) -> Result<Vec<ImageScan>, StoreError> {
        let rows = self.conn.rows(
            &format!(
                "SELECT {SCAN_COLUMNS} FROM {SCAN_FROM} WHERE s.run_seq = \
                 (SELECT MAX(t.run_seq) FROM image_scans t WHERE t.ref_id = r.id) \
                 ORDER BY p.name, r.reference"
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
