//! Triage records and their audit trail.
//!
//! A record is keyed on what it applies to ([`TriageKey`]: a scope — one repository, one
//! release, or every image — and the finding identity's ecosystem, package and vulnerability
//! id), so it carries across tags, rebuilds and releases. Its fields ([`TriageFields`]: state,
//! justification, reason, notes, owner, approver, expiry) are plain text here; `drydock-triage`
//! validates them before they reach the store.
//!
//! Every write that changes a field appends one [`TriageEvent`] per changed field (who, when,
//! field, old → new). Nothing is ever deleted or rewritten: two writers racing on one record
//! both land in the trail, and the last one wins the record (the row is locked before it is
//! read, so each event's "old" value is the value it really replaced).

use serde::{Deserialize, Serialize};

use crate::conn::{Conn, Value};
use crate::{Store, StoreError};

/// What a triage record applies to.
///
/// Absent parts are empty strings, not NULL, so the unique key holds in both databases:
/// `repository` is set only for scope `image`, `release` only for scope `release`, and an
/// empty `ecosystem` means "the package in any ecosystem".
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TriageKey {
    /// `image` (one repository), `release` or `all`.
    pub scope: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub repository: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub release: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ecosystem: String,
    pub package: String,
    pub vuln_id: String,
}

/// The fields a triage write sets (the whole record: a field left `None` is cleared).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriageFields {
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approver: Option<String>,
    /// `YYYY-MM-DD`: the last day the record applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

impl TriageFields {
    /// `(field name, value)` in audit order.
    pub fn named(&self) -> [(&'static str, Option<&str>); 7] {
        [
            ("state", Some(self.state.as_str())),
            ("justification", self.justification.as_deref()),
            ("reason", self.reason.as_deref()),
            ("notes", self.notes.as_deref()),
            ("owner", self.owner.as_deref()),
            ("approver", self.approver.as_deref()),
            ("expires", self.expires.as_deref()),
        ]
    }
}

/// A stored triage record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriageRecord {
    pub id: i64,
    #[serde(flatten)]
    pub key: TriageKey,
    #[serde(flatten)]
    pub fields: TriageFields,
    pub created_by: String,
    /// Unix seconds.
    pub created_at: i64,
    pub updated_by: String,
    pub updated_at: i64,
}

/// One change of one field of a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriageEvent {
    pub id: i64,
    pub triage_id: i64,
    /// Unix seconds.
    pub at: i64,
    pub actor: String,
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
}

/// A write: the record's key and new fields, who writes and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriageWrite {
    pub key: TriageKey,
    pub fields: TriageFields,
    pub actor: String,
    /// Unix seconds.
    pub at: i64,
    /// For a record that does not exist yet: who created it and when, if not this write
    /// (an import restoring a record exported elsewhere).
    pub created: Option<(String, i64)>,
}

/// What a write did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriageOutcome {
    pub record: TriageRecord,
    /// The audit events this write appended (empty: nothing changed).
    pub events: Vec<TriageEvent>,
    pub created: bool,
}

/// Which records [`Store::triage_list`] returns; every set criterion must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TriageFilter {
    /// Any of these states (empty: any state).
    pub states: Vec<String>,
    pub scope: Option<String>,
    pub repository: Option<String>,
    pub release: Option<String>,
    pub package: Option<String>,
    pub vuln_id: Option<String>,
    /// Records with an expiry on or before this day (`YYYY-MM-DD`), expired ones included.
    pub expires_by: Option<String>,
}

const COLUMNS: &str = "id, scope, repository, release_name, ecosystem, package, vuln_id, state, \
    justification, reason, notes, owner, approver, expires, created_by, created_at, updated_by, \
    updated_at";

fn record_of(r: &[Value]) -> TriageRecord {
    let int = |i: usize| r.get(i).and_then(Value::int).unwrap_or_default();
    let text = |i: usize| r.get(i).and_then(Value::text);
    let s = |i: usize| text(i).unwrap_or_default();
    TriageRecord {
        id: int(0),
        key: TriageKey {
            scope: s(1),
            repository: s(2),
            release: s(3),
            ecosystem: s(4),
            package: s(5),
            vuln_id: s(6),
        },
        fields: TriageFields {
            state: s(7),
            justification: text(8),
            reason: text(9),
            notes: text(10),
            owner: text(11),
            approver: text(12),
            expires: text(13),
        },
        created_by: s(14),
        created_at: int(15),
        updated_by: s(16),
        updated_at: int(17),
    }
}

fn key_params(k: &TriageKey) -> Vec<Value> {
    vec![
        k.scope.as_str().into(),
        k.repository.as_str().into(),
        k.release.as_str().into(),
        k.ecosystem.as_str().into(),
        k.package.as_str().into(),
        k.vuln_id.as_str().into(),
    ]
}

/// The fields in column order (`state` … `expires`, as [`TriageFields::named`]).
fn field_params(f: &TriageFields) -> [Value; 7] {
    f.named().map(|(_, v)| v.into())
}

const BY_KEY: &str = "scope = $1 AND repository = $2 AND release_name = $3 AND ecosystem = $4 \
    AND package = $5 AND vuln_id = $6";

fn select_by_key(c: &mut Conn, key: &TriageKey) -> Result<Option<TriageRecord>, StoreError> {
    let rows = c.rows(
        &format!("SELECT {COLUMNS} FROM triage WHERE {BY_KEY}"),
        &key_params(key),
    )?;
    Ok(rows.first().map(|r| record_of(r)))
}

fn insert_event(
    c: &mut Conn,
    triage_id: i64,
    at: i64,
    actor: &str,
    field: &str,
    old: Option<&str>,
    new: Option<&str>,
) -> Result<(), StoreError> {
    c.exec(
        "INSERT INTO triage_events (triage_id, at, actor, field, old_value, new_value) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            triage_id.into(),
            at.into(),
            actor.into(),
            field.into(),
            old.into(),
            new.into(),
        ],
    )?;
    Ok(())
}

fn events_of(c: &mut Conn, triage_id: i64, after: i64) -> Result<Vec<TriageEvent>, StoreError> {
    let rows = c.rows(
        "SELECT id, triage_id, at, actor, field, old_value, new_value FROM triage_events \
         WHERE triage_id = $1 AND id > $2 ORDER BY id",
        &[triage_id.into(), after.into()],
    )?;
    Ok(rows.iter().map(|r| event_of(r)).collect())
}

fn event_of(r: &[Value]) -> TriageEvent {
    let int = |i: usize| r.get(i).and_then(Value::int).unwrap_or_default();
    let text = |i: usize| r.get(i).and_then(Value::text);
    TriageEvent {
        id: int(0),
        triage_id: int(1),
        at: int(2),
        actor: text(3).unwrap_or_default(),
        field: text(4).unwrap_or_default(),
        old_value: text(5),
        new_value: text(6),
    }
}

fn max_event_id(c: &mut Conn, triage_id: i64) -> Result<i64, StoreError> {
    let rows = c.rows(
        "SELECT COALESCE(MAX(id), 0) FROM triage_events WHERE triage_id = $1",
        &[triage_id.into()],
    )?;
    Ok(rows.first().and_then(|r| r[0].int()).unwrap_or(0))
}

/// Why [`Store::set_triages`] wrote nothing.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct TriageBatchError {
    /// The write it stopped at (index into the slice); `None`: every write went through and
    /// the commit failed.
    pub index: Option<usize>,
    #[source]
    pub error: StoreError,
}

fn check_key(key: &TriageKey) -> Result<(), StoreError> {
    if key.package.is_empty() || key.vuln_id.is_empty() {
        return Err(StoreError::Invalid(
            "a triage record needs a package and a vulnerability id".into(),
        ));
    }
    Ok(())
}

/// One write inside the caller's transaction (see [`Store::set_triage`]).
fn write_one(c: &mut Conn, write: &TriageWrite) -> Result<TriageOutcome, StoreError> {
    let f = &write.fields;
    let (created_by, created_at) = write
        .created
        .clone()
        .unwrap_or_else(|| (write.actor.clone(), write.at));
    let mut params = key_params(&write.key);
    params.extend(field_params(f));
    params.extend([
        created_by.as_str().into(),
        created_at.into(),
        write.actor.as_str().into(),
        write.at.into(),
    ]);
    // A concurrent creator of the same key makes this a no-op (after waiting for it
    // to commit); the update path below then records our write over theirs.
    let inserted = c.exec(
            &format!(
                "INSERT INTO triage ({}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17) \
                 ON CONFLICT (scope, repository, release_name, ecosystem, package, vuln_id) DO NOTHING",
                COLUMNS.trim_start_matches("id, ")
            ),
            &params,
        )?;
    if inserted == 1 {
        let record = select_by_key(c, &write.key)?
            .ok_or_else(|| StoreError::Internal("triage record vanished after insert".into()))?;
        for (field, value) in f.named() {
            if let Some(v) = value {
                insert_event(c, record.id, write.at, &write.actor, field, None, Some(v))?;
            }
        }
        let events = events_of(c, record.id, 0)?;
        return Ok(TriageOutcome {
            record,
            events,
            created: true,
        });
    }
    // Lock the row first (a no-op update takes the row lock in PostgreSQL; SQLite's
    // transaction already holds the write lock), then read what we replace.
    c.exec(
        &format!("UPDATE triage SET updated_at = updated_at WHERE {BY_KEY}"),
        &key_params(&write.key),
    )?;
    let old = select_by_key(c, &write.key)?
        .ok_or_else(|| StoreError::Internal("triage record vanished while locked".into()))?;
    let before = max_event_id(c, old.id)?;
    let mut changed = false;
    for ((field, old_v), (_, new_v)) in old.fields.named().into_iter().zip(f.named()) {
        if old_v != new_v {
            insert_event(c, old.id, write.at, &write.actor, field, old_v, new_v)?;
            changed = true;
        }
    }
    if !changed {
        return Ok(TriageOutcome {
            record: old,
            events: Vec::new(),
            created: false,
        });
    }
    c.exec(
        "UPDATE triage SET state = $2, justification = $3, reason = $4, notes = $5, \
             owner = $6, approver = $7, expires = $8, updated_by = $9, updated_at = $10 \
             WHERE id = $1",
        &[
            vec![old.id.into()],
            field_params(f).to_vec(),
            vec![write.actor.as_str().into(), write.at.into()],
        ]
        .concat(),
    )?;
    let record = select_by_key(c, &write.key)?
        .ok_or_else(|| StoreError::Internal("triage record vanished after update".into()))?;
    let events = events_of(c, old.id, before)?;
    Ok(TriageOutcome {
        record,
        events,
        created: false,
    })
}

impl Store {
    /// Creates or updates the record of `write.key`, appending one audit event per changed
    /// field (a write that changes nothing appends nothing and leaves `updated_*` alone).
    pub fn set_triage(&mut self, write: &TriageWrite) -> Result<TriageOutcome, StoreError> {
        check_key(&write.key)?;
        self.tx(|c| write_one(c, write))
    }

    /// [`Store::set_triage`] for many records in one transaction (an import): all of them
    /// land or none does. A failure names the record it stopped at ([`TriageBatchError`]);
    /// the transaction is then rolled back (or, the connection lost, never committed).
    pub fn set_triages(
        &mut self,
        writes: &[TriageWrite],
    ) -> Result<Vec<TriageOutcome>, TriageBatchError> {
        for (index, w) in writes.iter().enumerate() {
            check_key(&w.key).map_err(|error| TriageBatchError {
                index: Some(index),
                error,
            })?;
        }
        let mut failed_at = None;
        self.tx(|c| {
            let mut out = Vec::with_capacity(writes.len());
            for (index, w) in writes.iter().enumerate() {
                failed_at = Some(index);
                out.push(write_one(c, w)?);
            }
            failed_at = None;
            Ok(out)
        })
        .map_err(|error| TriageBatchError {
            index: failed_at,
            error,
        })
    }

    /// The record with this id.
    pub fn triage(&mut self, id: i64) -> Result<Option<TriageRecord>, StoreError> {
        let rows = self.conn.rows(
            &format!("SELECT {COLUMNS} FROM triage WHERE id = $1"),
            &[id.into()],
        )?;
        Ok(rows.first().map(|r| record_of(r)))
    }

    /// The record of this key.
    pub fn triage_by_key(&mut self, key: &TriageKey) -> Result<Option<TriageRecord>, StoreError> {
        select_by_key(&mut self.conn, key)
    }

    /// The records the filter selects, sorted by key (vulnerability, package, scope,
    /// repository, release, ecosystem) — the same order in both databases.
    pub fn triage_list(&mut self, filter: &TriageFilter) -> Result<Vec<TriageRecord>, StoreError> {
        let mut sql = format!("SELECT {COLUMNS} FROM triage WHERE 1 = 1");
        let mut params: Vec<Value> = Vec::new();
        let mut add = |sql: &mut String, column: &str, op: &str, v: &str| {
            params.push(v.into());
            sql.push_str(&format!(" AND {column} {op} ${}", params.len()));
        };
        if let Some(s) = &filter.scope {
            add(&mut sql, "scope", "=", s);
        }
        if let Some(s) = &filter.repository {
            add(&mut sql, "repository", "=", s);
        }
        if let Some(s) = &filter.release {
            add(&mut sql, "release_name", "=", s);
        }
        if let Some(s) = &filter.package {
            add(&mut sql, "package", "=", s);
        }
        if let Some(s) = &filter.vuln_id {
            add(&mut sql, "vuln_id", "=", s);
        }
        if let Some(s) = &filter.expires_by {
            sql.push_str(" AND expires IS NOT NULL");
            add(&mut sql, "expires", "<=", s);
        }
        let rows = self.conn.rows(&sql, &params)?;
        let mut out: Vec<TriageRecord> = rows
            .iter()
            .map(|r| record_of(r))
            .filter(|r| filter.states.is_empty() || filter.states.contains(&r.fields.state))
            .collect();
        out.sort_by(|a, b| {
            (
                &a.key.vuln_id,
                &a.key.package,
                &a.key.scope,
                &a.key.repository,
                &a.key.release,
                &a.key.ecosystem,
            )
                .cmp(&(
                    &b.key.vuln_id,
                    &b.key.package,
                    &b.key.scope,
                    &b.key.repository,
                    &b.key.release,
                    &b.key.ecosystem,
                ))
        });
        Ok(out)
    }

    /// The audit trail of one record, oldest first.
    pub fn triage_history(&mut self, id: i64) -> Result<Vec<TriageEvent>, StoreError> {
        events_of(&mut self.conn, id, 0)
    }
}
