//! List parameters: filters, sorting and pagination, parsed from the query string (a bad value
//! is a 400 naming it) and applied to finding rows.

use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::view::{FindingRow, SEVERITIES, STATES, severity_rank};
/// A list, one page of it.
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: usize,
    pub page: usize,
    pub per_page: usize,
    pub pages: usize,
}

/// Query parameters of every list (kept as strings so a bad value is a clear 400).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Params {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_page: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<String>,
    /// The image page's reference.
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "ref")]
    pub reference: Option<String>,
}

pub const DEFAULT_PER_PAGE: usize = 50;
pub const MAX_PER_PAGE: usize = 500;
pub const SORTS: [&str; 7] = [
    "severity",
    "vuln",
    "package",
    "image",
    "state",
    "first_seen",
    "fixed",
];

/// A validated filter.
#[derive(Debug, Clone)]
pub struct Filter {
    pub severities: Vec<String>,
    pub states: Vec<String>,
    pub package: Option<String>,
    pub ecosystem: Option<String>,
    pub q: Option<String>,
    pub sort: &'static str,
    pub desc: bool,
    pub page: usize,
    pub per_page: usize,
}

fn list(s: &Option<String>) -> Vec<String> {
    s.as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

fn nonempty(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl Params {
    pub fn filter(&self) -> Result<Filter, AppError> {
        let mut severities = Vec::new();
        for s in list(&self.severity) {
            let up = s.to_ascii_uppercase();
            if !SEVERITIES.contains(&up.as_str()) {
                return Err(AppError::BadRequest(format!(
                    "unknown severity `{s}` (expected {})",
                    SEVERITIES.join(", ")
                )));
            }
            severities.push(up);
        }
        let mut states = Vec::new();
        for s in list(&self.state) {
            let low = s.to_ascii_lowercase();
            if !STATES.contains(&low.as_str()) {
                return Err(AppError::BadRequest(format!(
                    "unknown state `{s}` (expected {})",
                    STATES.join(", ")
                )));
            }
            states.push(low);
        }
        let sort = match nonempty(&self.sort) {
            None => "severity",
            Some(s) => SORTS.iter().find(|x| **x == s).copied().ok_or_else(|| {
                AppError::BadRequest(format!(
                    "unknown sort `{s}` (expected {})",
                    SORTS.join(", ")
                ))
            })?,
        };
        let desc = match nonempty(&self.order).as_deref() {
            None => sort == "severity" || sort == "first_seen",
            Some("asc") => false,
            Some("desc") => true,
            Some(o) => {
                return Err(AppError::BadRequest(format!(
                    "unknown order `{o}` (expected asc or desc)"
                )));
            }
        };
        let page = match nonempty(&self.page) {
            None => 1,
            Some(p) => p.parse::<usize>().ok().filter(|p| *p >= 1).ok_or_else(|| {
                AppError::BadRequest(format!("`page` must be a number from 1, not `{p}`"))
            })?,
        };
        let per_page = match nonempty(&self.per_page) {
            None => DEFAULT_PER_PAGE,
            Some(p) => p
                .parse::<usize>()
                .ok()
                .filter(|p| (1..=MAX_PER_PAGE).contains(p))
                .ok_or_else(|| {
                    AppError::BadRequest(format!(
                        "`per_page` must be from 1 to {MAX_PER_PAGE}, not `{p}`"
                    ))
                })?,
        };
        Ok(Filter {
            severities,
            states,
            package: nonempty(&self.package).map(|s| s.to_lowercase()),
            ecosystem: nonempty(&self.ecosystem).map(|s| s.to_lowercase()),
            q: nonempty(&self.q).map(|s| s.to_lowercase()),
            sort,
            desc,
            page,
            per_page,
        })
    }

    /// Days ahead for "expiring soon" (default 14).
    pub fn days(&self) -> Result<i64, AppError> {
        match nonempty(&self.days) {
            None => Ok(14),
            Some(d) => d
                .parse::<i64>()
                .ok()
                .filter(|d| (0..=3650).contains(d))
                .ok_or_else(|| {
                    AppError::BadRequest(format!("`days` must be from 0 to 3650, not `{d}`"))
                }),
        }
    }
}

/// Cuts one page out of a list.
pub fn paginate<T>(items: Vec<T>, page: usize, per_page: usize) -> Page<T> {
    let total = items.len();
    let pages = total.div_ceil(per_page).max(1);
    let items = items
        .into_iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .collect();
    Page {
        items,
        total,
        page,
        per_page,
        pages,
    }
}

impl Filter {
    pub fn keeps(&self, r: &FindingRow) -> bool {
        (self.severities.is_empty() || self.severities.contains(&r.severity))
            && (self.states.is_empty() || self.states.contains(&r.state))
            && self
                .package
                .as_ref()
                .is_none_or(|p| r.package.to_lowercase().contains(p.as_str()))
            && self
                .ecosystem
                .as_ref()
                .is_none_or(|e| r.ecosystem.eq_ignore_ascii_case(e))
            && self.q.as_ref().is_none_or(|q| {
                [
                    Some(r.vuln_id.as_str()),
                    Some(r.advisory_id.as_str()),
                    Some(r.package.as_str()),
                    Some(r.reference.as_str()),
                    r.title.as_deref(),
                ]
                .into_iter()
                .flatten()
                .any(|t| t.to_lowercase().contains(q.as_str()))
            })
    }

    /// Filters, sorts and cuts one page.
    pub fn apply(&self, rows: Vec<FindingRow>) -> Page<FindingRow> {
        let mut rows: Vec<FindingRow> = rows.into_iter().filter(|r| self.keeps(r)).collect();
        let key = |r: &FindingRow| -> (String, String, String, String) {
            let rank = format!("{}", 9 - severity_rank(&r.severity));
            let main = match self.sort {
                "severity" => rank.clone(),
                "vuln" => r.vuln_id.clone(),
                "package" => r.package.clone(),
                "image" => r.reference.clone(),
                "state" => r.state.clone(),
                "first_seen" => format!("{:020}", r.first_seen_at),
                _ => r.fixed.clone().unwrap_or_default(),
            };
            (main, rank, r.vuln_id.clone(), r.reference.clone())
        };
        rows.sort_by_cached_key(key);
        if self.desc {
            rows.reverse();
        }
        paginate(rows, self.page, self.per_page)
    }
}
