//! Writing runs: starting a shard, recording an image scan (and folding its findings into the
//! intervals), finishing a shard.

use std::collections::{BTreeMap, HashMap};

use crate::conn::{Conn, Value};
use crate::model::{ImageScan, Observation, RunStart, RunStatus, ScanStatus, Scanned, VulnInfo};
use crate::{Store, StoreError};

/// What recording an image did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// Written now.
    Written,
    /// This run already holds a successful scan of this image (a rerun of the same run id
    /// skips it): nothing written.
    AlreadyRecorded,
}

impl Store {
    /// Starts (or, for a rerun of the same run id, resumes) a run's shard; returns the run's
    /// sequence number. Every shard of one run passes the same `run_id` and shard count.
    pub fn begin_run(&mut self, start: &RunStart) -> Result<i64, StoreError> {
        let start = start.clone();
        self.tx(move |c| {
            c.exec(
                "INSERT INTO runs (run_id, started_at, status, shard_count, drydock_version, \
                 db_built_at, db_sources, fleet_digest, fleet_path) \
                 VALUES ($1, $2, 'running', $3, $4, $5, $6, $7, $8) ON CONFLICT (run_id) DO NOTHING",
                &[
                    start.run_id.as_str().into(),
                    start.started_at.into(),
                    i64::from(start.shard.count).into(),
                    start.drydock_version.as_str().into(),
                    start.db_built_at.clone().into(),
                    start.db_sources.clone().into(),
                    start.fleet_digest.clone().into(),
                    start.fleet_path.clone().into(),
                ],
            )?;
            let rows = c.rows(
                "SELECT seq, shard_count, fleet_digest FROM runs WHERE run_id = $1",
                &[start.run_id.as_str().into()],
            )?;
            let row = rows
                .first()
                .ok_or_else(|| StoreError::Internal("run vanished after insert".into()))?;
            let seq = row[0].int().unwrap_or_default();
            let count = row[1].int().unwrap_or_default();
            if count != i64::from(start.shard.count) {
                return Err(StoreError::Invalid(format!(
                    "run `{}` was started with {count} shard(s), this process says {}",
                    start.run_id, start.shard.count
                )));
            }
            if let (Some(theirs), Some(ours)) = (row[2].text(), &start.fleet_digest)
                && theirs != *ours
            {
                return Err(StoreError::Invalid(format!(
                    "run `{}` belongs to another fleet file (digest {theirs}, this one {ours}): use another --run-id",
                    start.run_id
                )));
            }
            // A rerun of a shard starts it again; a finished run becomes running again
            // until this shard reports.
            c.exec(
                "INSERT INTO run_shards (run_seq, shard_index, started_at, images_planned) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (run_seq, shard_index) DO UPDATE \
                 SET started_at = excluded.started_at, finished_at = NULL, \
                 images_planned = excluded.images_planned",
                &[
                    seq.into(),
                    i64::from(start.shard.index).into(),
                    start.started_at.into(),
                    start.images_planned.into(),
                ],
            )?;
            c.exec(
                "UPDATE runs SET status = 'running', finished_at = NULL WHERE seq = $1",
                &[seq.into()],
            )?;
            Ok(seq)
        })
    }

    /// Whether this run already holds a successful scan of `reference` (a rerun skips it).
    pub fn has_ok_scan(&mut self, run_seq: i64, reference: &str) -> Result<bool, StoreError> {
        let rows = self.conn.rows(
            "SELECT 1 FROM image_scans s JOIN image_refs r ON r.id = s.ref_id \
             WHERE s.run_seq = $1 AND r.reference = $2 AND s.status = 'ok'",
            &[run_seq.into(), reference.into()],
        )?;
        Ok(!rows.is_empty())
    }

    /// Records one image scan of a run, in one transaction: the scan row, its releases, and
    /// (for a successful scan) its findings folded into the intervals. A failed scan touches
    /// no interval: what it would have found is unknown, not gone.
    pub fn record_image(
        &mut self,
        scan: &ImageScan,
        observations: &[Observation],
        vulns: &[VulnInfo],
    ) -> Result<Recorded, StoreError> {
        self.record_image_scanned(scan, observations, vulns, Scanned::ALL)
    }

    /// [`Store::record_image`] for a scan that ran only the scanners in `scanned`: open
    /// findings of the other kinds stay open (as last seen), since this scan did not look.
    pub fn record_image_scanned(
        &mut self,
        scan: &ImageScan,
        observations: &[Observation],
        vulns: &[VulnInfo],
        scanned: Scanned,
    ) -> Result<Recorded, StoreError> {
        // Compared with what is stored, so cleaned the way the store cleans text.
        let cleaned: Vec<Observation>;
        let observations = if observations.iter().any(has_nul) {
            cleaned = observations.iter().map(without_nul).collect();
            &cleaned[..]
        } else {
            observations
        };
        let fresh_vulns: Vec<VulnInfo> = vulns
            .iter()
            .filter(|v| !self.vulns_written.contains(&v.vuln_id))
            .cloned()
            .collect();
        let result = self.tx_as(crate::Durability::Deferred, |c| {
            let repository = intern(
                c,
                "INSERT INTO repositories (name) VALUES ($1) ON CONFLICT (name) DO NOTHING",
                "SELECT id FROM repositories WHERE name = $1",
                &[scan.repository.as_str().into()],
                1,
            )?;
            let ref_id = intern(
                c,
                "INSERT INTO image_refs (reference, repository_id) VALUES ($1, $2) \
                 ON CONFLICT (reference) DO NOTHING",
                "SELECT id FROM image_refs WHERE reference = $1",
                &[scan.reference.as_str().into(), repository.into()],
                1,
            )?;
            let existing = c.rows(
                "SELECT status FROM image_scans WHERE run_seq = $1 AND ref_id = $2",
                &[scan.run_seq.into(), ref_id.into()],
            )?;
            if let Some(row) = existing.first() {
                if row[0].text().as_deref() == Some("ok") {
                    return Ok(Recorded::AlreadyRecorded);
                }
                // A failed scan being retried: it wrote no intervals, only its row.
                c.exec(
                    "DELETE FROM image_scans WHERE run_seq = $1 AND ref_id = $2",
                    &[scan.run_seq.into(), ref_id.into()],
                )?;
            }
            insert_scan(c, scan, ref_id)?;
            for (release, pos) in &scan.releases {
                c.exec(
                    "INSERT INTO run_releases (run_seq, release_name, ref_id, position) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (run_seq, release_name, ref_id) DO NOTHING",
                    &[
                        scan.run_seq.into(),
                        release.as_str().into(),
                        ref_id.into(),
                        (*pos).into(),
                    ],
                )?;
            }
            if scan.status == ScanStatus::Ok {
                for v in &fresh_vulns {
                    upsert_vuln(c, v, scan.run_seq)?;
                }
                fold_intervals(c, scan, ref_id, repository, observations, scanned)?;
            }
            Ok(Recorded::Written)
        })?;
        if result == Recorded::Written && scan.status == ScanStatus::Ok {
            self.vulns_written
                .extend(fresh_vulns.into_iter().map(|v| v.vuln_id));
        }
        Ok(result)
    }

    /// Marks a shard finished; when every shard of the run has, the run is complete.
    pub fn finish_shard(
        &mut self,
        run_seq: i64,
        shard_index: u32,
        at: i64,
    ) -> Result<RunStatus, StoreError> {
        self.tx(|c| {
            c.exec(
                "UPDATE run_shards SET finished_at = $3 WHERE run_seq = $1 AND shard_index = $2",
                &[run_seq.into(), i64::from(shard_index).into(), at.into()],
            )?;
            let rows = c.rows(
                "SELECT r.shard_count, (SELECT COUNT(*) FROM run_shards s \
                 WHERE s.run_seq = r.seq AND s.finished_at IS NOT NULL) FROM runs r WHERE r.seq = $1",
                &[run_seq.into()],
            )?;
            let row = rows
                .first()
                .ok_or_else(|| StoreError::NoRun(format!("#{run_seq}")))?;
            let (count, done) = (row[0].int().unwrap_or(1), row[1].int().unwrap_or(0));
            if done >= count {
                c.exec(
                    "UPDATE runs SET status = 'complete', finished_at = $2 WHERE seq = $1",
                    &[run_seq.into(), at.into()],
                )?;
                Ok(RunStatus::Complete)
            } else {
                Ok(RunStatus::Running)
            }
        })
    }
}

/// The id of a stored name (repository, reference, location), inserting it the first time.
/// `select` binds the first `key` of the insert's `params`. Looked up first: most names are
/// stored already, and then one statement is enough.
fn intern(
    c: &mut Conn,
    insert: &str,
    select: &str,
    params: &[Value],
    key: usize,
) -> Result<i64, StoreError> {
    let key = &params[..key.min(params.len())];
    if let Some(id) = c.rows(select, key)?.first().and_then(|r| r[0].int()) {
        return Ok(id);
    }
    c.exec(insert, params)?;
    let rows = c.rows(select, key)?;
    rows.first()
        .and_then(|r| r[0].int())
        .ok_or_else(|| StoreError::Internal(format!("row vanished after insert: {select}")))
}

fn insert_scan(c: &mut Conn, s: &ImageScan, ref_id: i64) -> Result<(), StoreError> {
    c.exec(
        "INSERT INTO image_scans (run_seq, ref_id, status, error, digest, platform, \
         os, package_count, finding_count, layers_analysed, layers_cached, started_at, finished_at, \
         shard_index, sources, labels, mirrored) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17)",
        &[
            s.run_seq.into(),
            ref_id.into(),
            s.status.as_str().into(),
            s.error.clone().into(),
            s.digest.clone().into(),
            s.platform.clone().into(),
            s.os.clone().into(),
            s.package_count.into(),
            s.finding_count.into(),
            s.layers_analysed.into(),
            s.layers_cached.into(),
            s.started_at.into(),
            s.finished_at.into(),
            s.shard_index.into(),
            json_or_null(&s.sources, s.sources.is_empty()).into(),
            json_or_null(&s.labels, s.labels.is_empty()).into(),
            i64::from(s.mirrored).into(),
        ],
    )?;
    Ok(())
}

fn json_or_null<T: serde::Serialize>(v: &T, empty: bool) -> Option<String> {
    if empty {
        None
    } else {
        serde_json::to_string(v).ok()
    }
}

fn upsert_vuln(c: &mut Conn, v: &VulnInfo, seq: i64) -> Result<(), StoreError> {
    c.exec(
        "INSERT INTO vulns (vuln_id, title, description, url, aliases, cvss_score, cvss_vector, updated_seq) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT (vuln_id) DO UPDATE SET \
         title = excluded.title, description = excluded.description, url = excluded.url, \
         aliases = excluded.aliases, cvss_score = excluded.cvss_score, \
         cvss_vector = excluded.cvss_vector, updated_seq = excluded.updated_seq \
         WHERE vulns.updated_seq <= excluded.updated_seq",
        &[
            v.vuln_id.as_str().into(),
            v.title.clone().into(),
            v.description.clone().into(),
            v.url.clone().into(),
            json_or_null(&v.aliases, v.aliases.is_empty()).into(),
            v.cvss_score.clone().into(),
            v.cvss_vector.clone().into(),
            seq.into(),
        ],
    )?;
    Ok(())
}

/// The finding's row id, inserting the identity the first time it is seen; its first run is
/// the earliest that saw it.
fn finding_id(c: &mut Conn, o: &Observation, repository: i64, seq: i64) -> Result<i64, StoreError> {
    c.exec(
        "INSERT INTO findings (fingerprint, repository_id, ecosystem, package, vuln_id, first_seq) \
         VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (fingerprint) DO UPDATE \
         SET first_seq = excluded.first_seq WHERE findings.first_seq > excluded.first_seq",
        &[
            o.fingerprint.as_str().into(),
            repository.into(),
            o.ecosystem.as_str().into(),
            o.package.as_str().into(),
            o.vuln_id.as_str().into(),
            seq.into(),
        ],
    )?;
    let rows = c.rows(
        "SELECT id FROM findings WHERE fingerprint = $1",
        &[o.fingerprint.as_str().into()],
    )?;
    rows.first()
        .and_then(|r| r[0].int())
        .ok_or_else(|| StoreError::Internal("finding vanished after insert".into()))
}

/// Where a finding was found (layer digest, path), stored once; `None` when neither is known.
fn location_id(c: &mut Conn, o: &Observation) -> Result<Option<i64>, StoreError> {
    if o.layer.is_none() && o.path.is_none() {
        return Ok(None);
    }
    let layer = o.layer.clone().unwrap_or_default();
    let path = o.path.clone().unwrap_or_default();
    intern(
        c,
        "INSERT INTO locations (layer, path) VALUES ($1, $2) ON CONFLICT (layer, path) DO NOTHING",
        "SELECT id FROM locations WHERE layer = $1 AND path = $2",
        &[layer.into(), path.into()],
        2,
    )
    .map(Some)
}

/// Folds one successful scan's observations into the reference's intervals: unchanged
/// findings cost nothing, changed ones close their interval and open a continuing one, gone
/// ones close at the reference's previous successful scan, new ones open.
fn fold_intervals(
    c: &mut Conn,
    scan: &ImageScan,
    ref_id: i64,
    repository: i64,
    observations: &[Observation],
    scanned: Scanned,
) -> Result<(), StoreError> {
    let seq = scan.run_seq;
    // The reference's previous successful scan, and whether a later one is recorded already.
    let rows = c.rows(
        "SELECT MAX(CASE WHEN run_seq < $2 THEN run_seq END), \
         MAX(CASE WHEN run_seq > $2 THEN run_seq END) \
         FROM image_scans WHERE ref_id = $1 AND status = 'ok'",
        &[ref_id.into(), seq.into()],
    )?;
    let prev_ok = rows.first().and_then(|r| r[0].int());
    let later = rows.first().and_then(|r| r[1].int());
    if later.is_some() {
        // A run older than one already folded in (a late shard of an old run): its scan is
        // kept as a record, but rewriting history behind a newer scan would corrupt it.
        tracing::warn!(
            "`{}`: run #{seq} is older than a scan already recorded; its findings are not folded into the history",
            scan.reference
        );
        return Ok(());
    }
    let open = c.rows(
        "SELECT i.id, f.fingerprint, i.installed, i.fixed, i.severity, i.status, f.ecosystem \
         FROM intervals i JOIN findings f ON f.id = i.finding_id \
         WHERE i.ref_id = $1 AND i.last_seq IS NULL",
        &[ref_id.into()],
    )?;
    let mut open_by_fp: HashMap<String, (i64, Observation)> = HashMap::with_capacity(open.len());
    for r in open {
        let (Some(id), Some(fp)) = (r[0].int(), r[1].text()) else {
            continue;
        };
        if !scanned.covers(r[6].text().as_deref().unwrap_or_default()) {
            // Not looked for this time: neither gone nor changed.
            continue;
        }
        let attrs = Observation {
            fingerprint: fp.clone(),
            repository: String::new(),
            ecosystem: String::new(),
            package: String::new(),
            vuln_id: String::new(),
            advisory_id: String::new(),
            installed: r[2].text().unwrap_or_default(),
            fixed: r[3].text(),
            severity: r[4].text().unwrap_or_default(),
            status: r[5].text().unwrap_or_default(),
            pkg_type: String::new(),
            layer: None,
            path: None,
        };
        open_by_fp.insert(fp, (id, attrs));
    }
    let mut seen: BTreeMap<&str, ()> = BTreeMap::new();
    for o in observations {
        if seen.insert(o.fingerprint.as_str(), ()).is_some() {
            continue;
        }
        let continues = match open_by_fp.remove(&o.fingerprint) {
            Some((_, prev)) if prev.same_attributes(o) => continue,
            Some((id, _)) => {
                close(c, id, prev_ok.unwrap_or(seq))?;
                true
            }
            None => false,
        };
        let fid = finding_id(c, o, repository, seq)?;
        let location = location_id(c, o)?;
        // The advisory id is stored only when it is not the identity's id (most often it is).
        let advisory = (o.advisory_id != o.vuln_id).then(|| o.advisory_id.clone());
        c.exec(
            "INSERT INTO intervals (finding_id, ref_id, first_seq, last_seq, continues, installed, \
             fixed, severity, status, pkg_type, advisory_id, location_id) \
             VALUES ($1,$2,$3,NULL,$4,$5,$6,$7,$8,$9,$10,$11)",
            &[
                fid.into(),
                ref_id.into(),
                seq.into(),
                i64::from(continues).into(),
                o.installed.as_str().into(),
                o.fixed.clone().into(),
                o.severity.as_str().into(),
                o.status.as_str().into(),
                o.pkg_type.as_str().into(),
                advisory.into(),
                location.into(),
            ],
        )?;
    }
    // Whatever is still open was not found this time: it was last seen at the previous scan.
    for (_, (id, _)) in open_by_fp {
        close(c, id, prev_ok.unwrap_or(seq))?;
    }
    Ok(())
}

fn has_nul(o: &Observation) -> bool {
    [
        &o.fingerprint,
        &o.repository,
        &o.ecosystem,
        &o.package,
        &o.vuln_id,
        &o.advisory_id,
        &o.installed,
        &o.severity,
        &o.status,
        &o.pkg_type,
    ]
    .iter()
    .any(|s| s.contains('\0'))
        || [&o.fixed, &o.layer, &o.path]
            .iter()
            .any(|s| s.as_deref().is_some_and(|s| s.contains('\0')))
}

/// The observation as the store keeps it (see `conn::storable`).
fn without_nul(o: &Observation) -> Observation {
    let c = |s: &String| crate::conn::stored_text(s).into_owned();
    let co = |s: &Option<String>| s.as_ref().map(c);
    Observation {
        fingerprint: c(&o.fingerprint),
        repository: c(&o.repository),
        ecosystem: c(&o.ecosystem),
        package: c(&o.package),
        vuln_id: c(&o.vuln_id),
        advisory_id: c(&o.advisory_id),
        installed: c(&o.installed),
        fixed: co(&o.fixed),
        severity: c(&o.severity),
        status: c(&o.status),
        pkg_type: c(&o.pkg_type),
        layer: co(&o.layer),
        path: co(&o.path),
    }
}

fn close(c: &mut Conn, interval: i64, last_seq: i64) -> Result<(), StoreError> {
    c.exec(
        "UPDATE intervals SET last_seq = $2 WHERE id = $1",
        &[interval.into(), last_seq.into()],
    )?;
    Ok(())
}

#[allow(dead_code)]
fn _assert_value_is_send(v: Value) -> impl Send {
    v
}
