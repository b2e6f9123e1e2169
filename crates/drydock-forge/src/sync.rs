//! One issue per image: plan (read-only), then apply.
//!
//! drydock's issues are found by the hidden marker's key among the issues the token's own user
//! authored with the `cve-report` label (and, only when something would be created, among all
//! of that user's issues, in case a human removed the label) — never by title, never with the
//! search API. Per image:
//!
//! | the run says | no issue | issue open | issue closed |
//! |---|---|---|---|
//! | findings | create | update when the block's digest, labels or title changed | reopen (unless a human closed it) + update |
//! | clean | — | close (`completed`) | — |
//! | scan failed | — | left as is | left as is |
//! | not in the (complete) run | — | close with a line: left the fleet | — |
//!
//! Two issues with one key: the oldest is kept, the others closed as duplicates. Markers a human
//! damaged: a warning, no write, no new issue. Before any write the issue is read again and only
//! the managed block is replaced.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use drydock_store::{Run, RunStatus, Store};

use crate::ForgeError;
use crate::body::{self, Marker, NOTES, render_region};
use crate::forge::{CloseReason, Forge, Issue, IssueState, IssueUpdate, NewIssue};
use crate::http::Stats;
use crate::image::{self, REPORT_LABEL, Scan, Target, label_spec};
use crate::triage::TriageSource;

/// When an issue closed earlier is reopened because findings came back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reopen {
    /// Unless a human closed it (drydock closed it as clean or removed: reopen).
    #[default]
    Auto,
    Always,
    Never,
}

/// How to sync.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    pub reopen: Reopen,
    /// Where the full report is, for the "rows omitted" line (default: the history command).
    pub full_report: Option<String>,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            reopen: Reopen::Auto,
            full_report: None,
        }
    }
}

/// What to do with one issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Create {
        title: String,
        labels: Vec<String>,
        marker: Marker,
        content: String,
    },
    Update {
        number: u64,
        title: Option<String>,
        labels: Option<Vec<String>>,
        marker: Marker,
        content: String,
        /// `Some(None)`: reopen; `Some(Some(r))`: close.
        state: Option<Option<CloseReason>>,
        why: String,
    },
    Unchanged {
        number: u64,
    },
    /// Left alone on purpose (a failed scan, an issue a human closed).
    Skip {
        number: Option<u64>,
        why: String,
    },
    /// Something a human should look at (damaged markers); nothing written.
    Warn {
        number: u64,
        why: String,
    },
}

/// One planned step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The image repository (or, for an issue of an image that left, its marker's subject).
    pub image: String,
    pub action: Action,
}

impl Step {
    /// `create`, `update`, `close`, `reopen`, `unchanged`, `skip`, `warn`.
    pub fn verb(&self) -> &'static str {
        match &self.action {
            Action::Create { .. } => "create",
            Action::Update {
                state: Some(Some(_)),
                ..
            } => "close",
            Action::Update {
                state: Some(None), ..
            } => "reopen",
            Action::Update { .. } => "update",
            Action::Unchanged { .. } => "unchanged",
            Action::Skip { .. } => "skip",
            Action::Warn { .. } => "warn",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = |n: Option<u64>| n.map(|n| format!("#{n}")).unwrap_or_else(|| "-".into());
        match &self.action {
            Action::Create { title, labels, .. } => write!(
                f,
                "{:<9} {:<6} {}  {title}  [{}]",
                self.verb(),
                "new",
                self.image,
                labels.join(", ")
            ),
            Action::Update { number, why, .. } => write!(
                f,
                "{:<9} {:<6} {}  {why}",
                self.verb(),
                n(Some(*number)),
                self.image
            ),
            Action::Unchanged { number } => {
                write!(
                    f,
                    "{:<9} {:<6} {}",
                    self.verb(),
                    n(Some(*number)),
                    self.image
                )
            }
            Action::Skip { number, why } => {
                write!(
                    f,
                    "{:<9} {:<6} {}  {why}",
                    self.verb(),
                    n(*number),
                    self.image
                )
            }
            Action::Warn { number, why } => write!(
                f,
                "{:<9} {:<6} {}  {why}",
                self.verb(),
                n(Some(*number)),
                self.image
            ),
        }
    }
}

/// A plan: every image of the run and every drydock issue of an image no longer in it.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub run_id: String,
    pub steps: Vec<Step>,
    /// Requests made while planning (reads only).
    pub stats: Stats,
}

impl Plan {
    /// Counts by verb, for the summary line.
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        let mut c = BTreeMap::new();
        for s in &self.steps {
            *c.entry(s.verb()).or_default() += 1;
        }
        c
    }

    /// `create 2, update 1, close 1, unchanged 5`.
    pub fn summary(&self) -> String {
        let c = self.counts();
        [
            "create",
            "update",
            "reopen",
            "close",
            "unchanged",
            "skip",
            "warn",
        ]
        .iter()
        .filter_map(|v| c.get(v).map(|n| format!("{v} {n}")))
        .collect::<Vec<_>>()
        .join(", ")
    }

    /// Whether applying the plan would write anything.
    pub fn writes(&self) -> bool {
        self.steps
            .iter()
            .any(|s| matches!(s.action, Action::Create { .. } | Action::Update { .. }))
    }
}

/// What applying a plan did.
#[derive(Debug, Clone, Default)]
pub struct Applied {
    pub created: Vec<(String, u64)>,
    pub updated: usize,
    pub closed: usize,
    pub reopened: usize,
    /// Steps that found, at the re-read, that nothing needed writing after all.
    pub converged: usize,
    /// Steps that could not be applied (the others were): image, error.
    pub failed: Vec<(String, String)>,
    /// Warnings raised at the re-read (markers damaged meanwhile).
    pub warnings: Vec<String>,
    pub stats: Stats,
}

fn full_report(opts: &SyncOptions, target: &Target) -> String {
    opts.full_report.clone().unwrap_or_else(|| {
        format!(
            "`drydock history show {}`",
            target.references.first().unwrap_or(&target.repository)
        )
    })
}

/// Reads the run's images from the store and plans the sync.
pub fn plan_run(
    store: &mut Store,
    selector: &str,
    forge: &mut dyn Forge,
    triage: &dyn TriageSource,
    opts: &SyncOptions,
) -> Result<Plan, ForgeError> {
    let run = store.run(selector)?;
    let targets = image::targets(store, &run, triage)?;
    plan(&run, &targets, forge, opts)
}

/// An existing drydock issue with its parsed marker.
struct Found {
    issue: Issue,
    marker: Marker,
}

/// Plans the sync of `targets` (the images of `run`) against the forge. Reads only.
pub fn plan(
    run: &Run,
    targets: &[Target],
    forge: &mut dyn Forge,
    opts: &SyncOptions,
) -> Result<Plan, ForgeError> {
    let me = forge.me()?;
    let mut issues = forge.list_issues(Some(REPORT_LABEL), &me)?;
    let mut by_key = group(&issues, &me);
    // An image that would get a new issue may have one whose label a human removed.
    let would_create = targets
        .iter()
        .any(|t| !t.rows().is_empty() && !by_key.contains_key(&t.key()));
    if would_create {
        let known: BTreeSet<u64> = issues.iter().map(|i| i.number).collect();
        issues.extend(
            forge
                .list_issues(None, &me)?
                .into_iter()
                .filter(|i| !known.contains(&i.number)),
        );
        by_key = group(&issues, &me);
    }
    let limit = forge.body_limit();
    let mut steps = Vec::new();
    let mut seen_keys = BTreeSet::new();
    for t in targets {
        let key = t.key();
        seen_keys.insert(key.clone());
        let found = by_key.remove(&key).unwrap_or_default();
        let (keep, dups) = split_duplicates(found);
        for d in dups {
            steps.push(duplicate_step(&t.repository, &d, keep.as_ref()));
        }
        steps.push(plan_target(t, keep.as_ref(), limit, opts, &key));
    }
    // drydock issues of images that are not in this run.
    for (key, found) in by_key {
        let (keep, dups) = split_duplicates(found);
        let subject = keep
            .as_ref()
            .map(|k| k.marker.subject.clone())
            .unwrap_or_default();
        for d in dups {
            steps.push(duplicate_step(&subject, &d, keep.as_ref()));
        }
        let Some(keep) = keep else { continue };
        if keep.marker.kind != "image" || seen_keys.contains(&key) {
            continue;
        }
        if keep.issue.state == IssueState::Closed {
            continue;
        }
        if run.status != RunStatus::Complete {
            steps.push(Step {
                image: subject,
                action: Action::Skip {
                    number: Some(keep.issue.number),
                    why: format!(
                        "not in run `{}`, which is not complete: left open",
                        run.run_id
                    ),
                },
            });
            continue;
        }
        let old = match body::content(&keep.issue.body) {
            Ok(c) => c.to_string(),
            Err(d) => {
                steps.push(Step {
                    image: subject,
                    action: Action::Warn {
                        number: keep.issue.number,
                        why: format!("markers damaged ({}): not closed", d.0),
                    },
                });
                continue;
            }
        };
        let line = format!(
            "**This image is no longer in the fleet** (not in run `{}`): closing. The last table follows.",
            run.run_id
        );
        let content = if old.starts_with("**This image is no longer in the fleet**") {
            old
        } else {
            format!("{line}\n\n{old}")
        };
        let marker = Marker {
            kind: "image".into(),
            subject: subject.clone(),
            key: key.clone(),
            digest: body::sha256_hex(&content),
            state: "removed".into(),
        };
        steps.push(Step {
            image: subject,
            action: Action::Update {
                number: keep.issue.number,
                title: None,
                labels: None,
                marker,
                content,
                state: Some(Some(CloseReason::Completed)),
                why: "left the fleet".into(),
            },
        });
    }
    Ok(Plan {
        run_id: run.run_id.clone(),
        steps,
        stats: forge.stats(),
    })
}

/// drydock's issues by marker key: authored by `me` (a marker pasted by someone else does not
/// count), duplicates closed earlier left out.
fn group(issues: &[Issue], me: &str) -> BTreeMap<String, Vec<Found>> {
    let mut by_key: BTreeMap<String, Vec<Found>> = BTreeMap::new();
    for i in issues {
        if !i.author.eq_ignore_ascii_case(me) {
            continue;
        }
        let Some(marker) = Marker::find(&i.body) else {
            continue;
        };
        if marker.state == "duplicate" && i.state == IssueState::Closed {
            continue;
        }
        by_key.entry(marker.key.clone()).or_default().push(Found {
            issue: i.clone(),
            marker,
        });
    }
    by_key
}

/// The oldest issue is kept; the others are duplicates.
fn split_duplicates(mut found: Vec<Found>) -> (Option<Found>, Vec<Found>) {
    found.sort_by(|a, b| {
        (&a.issue.created_at, a.issue.number).cmp(&(&b.issue.created_at, b.issue.number))
    });
    let mut it = found.into_iter();
    let keep = it.next();
    (keep, it.collect())
}

fn duplicate_step(image: &str, d: &Found, keep: Option<&Found>) -> Step {
    let of = keep.map(|k| k.issue.number).unwrap_or_default();
    let content = format!("Duplicate of #{of}: drydock keeps one issue per image.");
    let marker = Marker {
        digest: body::sha256_hex(&content),
        state: "duplicate".into(),
        ..d.marker.clone()
    };
    Step {
        image: image.to_string(),
        action: Action::Update {
            number: d.issue.number,
            title: None,
            labels: None,
            marker,
            content,
            state: (d.issue.state == IssueState::Open).then_some(Some(CloseReason::Duplicate)),
            why: format!("duplicate of #{of}"),
        },
    }
}

fn same_labels(a: &[String], b: &[String]) -> bool {
    let norm = |l: &[String]| -> BTreeSet<String> { l.iter().map(|s| s.to_lowercase()).collect() };
    norm(a) == norm(b)
}

fn plan_target(
    t: &Target,
    existing: Option<&Found>,
    limit: usize,
    opts: &SyncOptions,
    key: &str,
) -> Step {
    let step = |action| Step {
        image: t.repository.clone(),
        action,
    };
    if let Scan::Failed { error } = &t.scan {
        return step(Action::Skip {
            number: existing.map(|e| e.issue.number),
            why: format!("scan failed in this run ({error}): issue left as is"),
        });
    }
    // The block's budget: the body limit less what lies outside the block (the notes a new
    // issue gets, or the current outside text), less the marker and begin/end lines.
    let outside = match existing {
        Some(e) => e.issue.body.chars().count().saturating_sub(
            body::content(&e.issue.body)
                .map(|c| c.chars().count())
                .unwrap_or(0),
        ),
        None => NOTES.chars().count(),
    };
    let overhead = 400;
    let budget = limit.saturating_sub(outside + overhead);
    let content = image::render_content(t, budget, &full_report(opts, t));
    let clean = t.rows().is_empty();
    let marker = Marker {
        kind: "image".into(),
        subject: t.repository.clone(),
        key: key.to_string(),
        digest: body::sha256_hex(&content),
        state: if clean { "clean" } else { "open" }.into(),
    };
    let labels = t.labels();
    let title = t.title();
    let Some(e) = existing else {
        if clean {
            return step(Action::Skip {
                number: None,
                why: "no vulnerabilities: no issue".into(),
            });
        }
        return step(Action::Create {
            title,
            labels,
            marker,
            content,
        });
    };
    let number = e.issue.number;
    if let Err(d) = body::check(&e.issue.body) {
        return step(Action::Warn {
            number,
            why: format!(
                "markers damaged ({}): not overwritten, no new issue; restore the drydock comments to resume",
                d.0
            ),
        });
    }
    let open = e.issue.state == IssueState::Open;
    if clean {
        if !open {
            return step(Action::Unchanged { number });
        }
        return step(Action::Update {
            number,
            title: None,
            labels: (!same_labels(&e.issue.labels, &labels)).then_some(labels),
            marker,
            content,
            state: Some(Some(CloseReason::Completed)),
            why: "no vulnerabilities left".into(),
        });
    }
    let closed_by_human = !open && e.marker.state == "open";
    let reopen = !open
        && match opts.reopen {
            Reopen::Always => true,
            Reopen::Auto => !closed_by_human,
            Reopen::Never => false,
        };
    let new_marker = Marker {
        // An issue a human closed stays "open" in drydock's eyes (so it stays theirs).
        state: if !open && !reopen {
            e.marker.state.clone()
        } else {
            marker.state.clone()
        },
        ..marker
    };
    let block_changed = e.marker.digest != new_marker.digest || e.marker.state != new_marker.state;
    let labels_changed = !same_labels(&e.issue.labels, &labels);
    let title_changed = e.issue.title != title;
    if !block_changed && !labels_changed && !title_changed && !reopen {
        if !open {
            return step(Action::Skip {
                number: Some(number),
                why: "closed by a human: not reopened (--reopen always to override)".into(),
            });
        }
        return step(Action::Unchanged { number });
    }
    let mut why = Vec::new();
    if reopen {
        why.push("findings are back");
    }
    if block_changed {
        why.push("table changed");
    }
    if labels_changed {
        why.push("labels changed");
    }
    if title_changed {
        why.push("title changed");
    }
    step(Action::Update {
        number,
        title: title_changed.then_some(title),
        labels: labels_changed.then_some(labels),
        marker: new_marker,
        content,
        state: reopen.then_some(None),
        why: why.join(", "),
    })
}

/// Applies a plan: labels first (created when missing), then each step with a fresh read of
/// the issue. A step that fails is reported and the others go on, except when the forge refuses
/// the token (every step would fail the same way) or a rate limit outlasts the wait allowed.
pub fn apply(plan: &Plan, forge: &mut dyn Forge) -> Result<Applied, ForgeError> {
    let mut out = Applied::default();
    let needed: BTreeSet<String> = plan
        .steps
        .iter()
        .flat_map(|s| match &s.action {
            Action::Create { labels, .. } => labels.clone(),
            Action::Update {
                labels: Some(l), ..
            } => l.clone(),
            _ => Vec::new(),
        })
        .collect();
    if !needed.is_empty() {
        let specs: Vec<_> = needed.iter().map(|n| label_spec(n)).collect();
        forge.ensure_labels(&specs)?;
    }
    let total = plan.steps.len();
    for (i, step) in plan.steps.iter().enumerate() {
        if i > 0 && i % 100 == 0 {
            tracing::info!("sync: {i}/{total} images");
        }
        let result = apply_step(step, forge, &mut out);
        match result {
            Ok(()) => {}
            Err(e @ (ForgeError::Permission { .. } | ForgeError::RateLimited { .. })) => {
                out.stats = forge.stats();
                return Err(e);
            }
            Err(e) => {
                tracing::warn!("{}: {e}", step.image);
                out.failed.push((step.image.clone(), e.to_string()));
            }
        }
    }
    out.stats = forge.stats();
    Ok(out)
}

fn apply_step(step: &Step, forge: &mut dyn Forge, out: &mut Applied) -> Result<(), ForgeError> {
    match &step.action {
        Action::Create {
            title,
            labels,
            marker,
            content,
        } => {
            let body = format!("{}{NOTES}", render_region(marker, content));
            let issue = forge.create_issue(&NewIssue {
                title: title.clone(),
                body,
                labels: labels.clone(),
            })?;
            out.created.push((step.image.clone(), issue.number));
        }
        Action::Update {
            number,
            title,
            labels,
            marker,
            content,
            state,
            ..
        } => {
            // The body as it is now: a human may have edited the notes since the listing.
            let fresh = forge.get_issue(*number)?;
            match Marker::find(&fresh.body) {
                Some(m) if m.key == marker.key => {}
                _ => {
                    out.warnings.push(format!(
                        "#{number} ({}): its drydock marker changed since the listing: not written",
                        step.image
                    ));
                    return Ok(());
                }
            }
            let new_body = match body::splice(&fresh.body, marker, content) {
                Ok(b) => b,
                Err(d) => {
                    out.warnings.push(format!(
                        "#{number} ({}): markers damaged ({}): not written",
                        step.image, d.0
                    ));
                    return Ok(());
                }
            };
            let want_open = match state {
                Some(None) => Some(true),
                Some(Some(_)) => Some(false),
                None => None,
            };
            let update = IssueUpdate {
                title: title.clone().filter(|t| *t != fresh.title),
                body: (new_body != fresh.body).then_some(new_body),
                labels: labels.clone().filter(|l| !same_labels(l, &fresh.labels)),
                state: match want_open {
                    Some(true) if fresh.state == IssueState::Closed => Some(None),
                    Some(false) if fresh.state == IssueState::Open => *state,
                    _ => None,
                },
            };
            if update.is_empty() {
                out.converged += 1;
                return Ok(());
            }
            forge.update_issue(*number, &update)?;
            match update.state {
                Some(None) => out.reopened += 1,
                Some(Some(_)) => out.closed += 1,
                None => out.updated += 1,
            }
        }
        Action::Unchanged { .. } | Action::Skip { .. } => {}
        Action::Warn { number, why } => {
            out.warnings
                .push(format!("#{number} ({}): {why}", step.image));
        }
    }
    Ok(())
}
