//! Fleets: every image of every supported release, scanned in one run into the history store,
//! and diffs between any two scans.
//!
//! - [`file`]: fleet files (YAML: releases, images with sources/labels/mirrored, defaults,
//!   `include:` of image lists) and plain image lists (`IMAGE [SOURCE,SOURCE…]`).
//! - [`run`]: [`run::plan`] (each image once per run, whatever number of releases list it),
//!   [`run::shard_of`] (a stable split across processes), [`run::scan_fleet`] (`jobs` images at
//!   a time, a layer shared by many images walked once, every result recorded in the store, a
//!   failed image recorded as failed and the run going on).
//! - [`diff`]: run against run, release against release, report against report, with the
//!   categories `new`, `reappeared`, `changed`, `resolved`, `unchanged`, `not scanned`.
//! - [`render`]: diffs as table, JSON, Markdown, CSV.
//!
//! ```no_run
//! use drydock_fleet::{diff, file};
//! let fleet = file::load(std::path::Path::new("fleet.yaml"), None)?;
//! let mut store = drydock_store::Store::open("history.db")?;
//! let a = diff::side_from_run(&mut store, "previous", None, None)?;
//! let b = diff::side_from_run(&mut store, "latest", None, None)?;
//! let seq_a = a.seq.unwrap_or(0);
//! let mut history = diff::StoreHistory::new(&mut store, seq_a, |_, _| None);
//! let d = diff::diff(&a, &b, diff::KeyBy::ReleaseAndRepository, false, &mut history)?;
//! println!("{} new", d.totals.get(&diff::Category::New).unwrap_or(&0));
//! # let _ = fleet;
//! # Ok::<(), drydock_fleet::FleetError>(())
//! ```

pub mod diff;
pub mod display;
pub mod file;
pub mod render;
pub mod run;

use std::path::PathBuf;

/// Why a fleet could not be read, scanned or diffed. Scan failures of single images are not
/// errors: they are recorded, and the run goes on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FleetError {
    #[error("cannot read `{}`: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{}{}`: {message}", path.display(), position(*line, *column))]
    Syntax {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{0}")]
    Usage(String),
    #[error("the vulnerability DB: {0}")]
    Db(String),
    #[error(transparent)]
    Store(#[from] drydock_store::StoreError),
}

fn position(line: usize, column: usize) -> String {
    match (line, column) {
        (0, _) => String::new(),
        (l, 0) => format!(":{l}"),
        (l, c) => format!(":{l}:{c}"),
    }
}
