//! Coverage: which packages could be checked at all.
//!
//! A package looked up in a slice of the DB that holds no record (a DB built without the Debian
//! tracker, Alpine 3.20 against a secdb that ends at 3.11, npm without the npm OSV zip) is not
//! "not vulnerable": nobody was asked. [`coverage`] counts, per ecosystem, the packages looked up
//! in an advisory source the DB has (`matched`) and those that were not (`unmatched`), with the
//! reason, so reports can say what could not be checked instead of a silent green.

use std::collections::{BTreeMap, HashMap};

use drydock_advisory::{Db, DbError, FeedKey};
use drydock_package::{Ecosystem, Inventory};
use serde::{Deserialize, Serialize};

/// The packages of one ecosystem and the advisory source they are looked up in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    pub ecosystem: Ecosystem,
    /// The DB slice the packages are looked up in, as the DB keys it (`debian 12`, `PyPI`);
    /// `None` when there is none (OS packages without a detected OS).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub source: Option<String>,
    /// Packages of the ecosystem in the target.
    pub packages: usize,
    /// Packages looked up in a source the DB holds records for.
    pub matched: usize,
    /// Packages that could not be checked: the DB has no records for their source.
    pub unmatched: usize,
    /// Why `unmatched` is not zero: `the DB has no advisories for debian 12`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reason: Option<String>,
}

impl Coverage {
    /// Whether every package of the ecosystem was checked.
    pub fn is_complete(&self) -> bool {
        self.unmatched == 0
    }
}

/// The DB could not say what it covers.
#[derive(Debug, thiserror::Error)]
#[error("vulnerability DB: cannot tell whether it covers `{key}`")]
pub struct CoverageError {
    pub key: String,
    #[source]
    pub source: Box<DbError>,
}

/// Per ecosystem of `inv` (in [`Ecosystem`] order): how many packages `db` can check.
pub fn coverage(inv: &Inventory, db: &Db) -> Result<Vec<Coverage>, CoverageError> {
    let mut counts: BTreeMap<Ecosystem, usize> = BTreeMap::new();
    for p in &inv.packages {
        *counts.entry(p.ecosystem).or_default() += 1;
    }
    let os_key = inv.os.as_ref().map(FeedKey::for_os);
    let mut covered: HashMap<FeedKey, Option<String>> = HashMap::new();
    let mut out = Vec::new();
    for (ecosystem, packages) in counts {
        let key = if ecosystem.is_os() {
            os_key.clone()
        } else {
            FeedKey::for_ecosystem(ecosystem)
        };
        let reason = match &key {
            None if ecosystem.is_os() => Some(format!(
                "no OS detected: `{ecosystem}` packages cannot be matched"
            )),
            None => Some(format!("no advisory source for `{ecosystem}` packages")),
            Some(k) => match covered.get(k) {
                Some(r) => r.clone(),
                None => {
                    let r = gap(db, k).map_err(|source| CoverageError {
                        key: k.to_string(),
                        source: Box::new(source),
                    })?;
                    covered.insert(k.clone(), r.clone());
                    r
                }
            },
        };
        let unmatched = if reason.is_some() { packages } else { 0 };
        out.push(Coverage {
            ecosystem,
            source: key.map(|k| k.to_string()),
            packages,
            matched: packages - unmatched,
            unmatched,
            reason,
        });
    }
    Ok(out)
}

/// `None` when the DB holds records under `key`, else why not.
fn gap(db: &Db, key: &FeedKey) -> Result<Option<String>, DbError> {
    if db.covers(key)? {
        return Ok(None);
    }
    if !key.is_distro() {
        return Ok(Some(format!(
            "the DB has no `{}` advisories",
            key.ecosystem
        )));
    }
    let mut releases: Vec<String> = db
        .releases(&key.ecosystem)?
        .into_iter()
        .filter(|r| !r.is_empty())
        .collect();
    releases.sort_by_key(|r| release_order(r));
    Ok(Some(match (releases.first(), releases.last()) {
        (Some(lo), Some(hi)) if lo == hi => format!(
            "the DB has `{}` advisories for release {hi} only, none for {}",
            key.ecosystem, key.release
        ),
        (Some(lo), Some(hi)) => format!(
            "the DB has `{}` advisories for releases {lo} to {hi}, none for {}",
            key.ecosystem, key.release
        ),
        _ => format!("the DB has no advisories for `{key}`"),
    }))
}

/// Orders `3.2` before `3.10`: numeric parts compared as numbers, others as text.
fn release_order(r: &str) -> Vec<(u64, String)> {
    r.split(['.', ':'])
        .map(|p| match p.parse::<u64>() {
            Ok(n) => (n, String::new()),
            Err(_) => (u64::MAX, p.to_string()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_sort_as_numbers() {
        let mut r = vec!["3.10", "3.2", "3.9", "edge"];
        r.sort_by_key(|r| release_order(r));
        assert_eq!(r, ["3.2", "3.9", "3.10", "edge"]);
    }
}
