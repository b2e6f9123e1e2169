//! drydock's vulnerability DB: the advisory model, readers for the upstream feeds, and the
//! SQLite file scans query.
//!
//! Feeds, in their upstream layouts (see [`Layout::detect`]):
//! - **OSV**: `<base>/osv/<ecosystem>/all.zip` (the OSV bucket's layout, listed in
//!   `ecosystems.txt`) or directories of OSV JSON; every ecosystem, language or distribution.
//! - **Alpine secdb** (and Wolfi/Chainguard): `<base>/alpine-secdb/vX.Y/{main,community}.json`.
//! - **Debian security tracker JSON**: `<base>/debian/json`.
//! - **NVD CVE API 2.0** pages: `<base>/nvd/*.json`, enrichment (CVSS, CWE) for CVEs.
//!
//! [`build()`] writes a new DB beside the target and renames it into place; [`update`] fetches
//! feeds (conditional requests, retries) and then builds. [`Db`] is the read side, opened
//! read-only.
//!
//! # Looking up a package (what the matcher does)
//!
//! ```no_run
//! use drydock_advisory::{Db, FeedKey, Status};
//! use drydock_package::Ecosystem;
//!
//! # fn main() -> Result<(), drydock_advisory::DbError> {
//! let db = Db::open(&drydock_advisory::default_db_path()?)?;
//! if db.age()? > drydock_advisory::DEFAULT_MAX_AGE {
//!     eprintln!("warning: the vulnerability DB is more than 7 days old");
//! }
//! // A language package: the OSV ecosystem name; the name is normalized (PEP 503) on lookup.
//! let key = FeedKey::for_ecosystem(Ecosystem::Pypi).expect("PyPI is a language ecosystem");
//! for affected in db.affected(&key, "Django")? {
//!     // `ranges` hold OSV events (introduced/fixed/last_affected/limit) for
//!     // `drydock_version`'s range check; `versions` are matched exactly.
//!     let group = db.aliases(&affected.advisory_id)?; // report once, under group.canonical
//!     let advisory = db.advisory(&affected.advisory_id)?;
//!     let _ = (affected.ranges, affected.versions, group.canonical, advisory);
//! }
//! // An OS package: distribution, release, source (origin) package name.
//! for a in db.affected(&FeedKey::distro("alpine", "3.7"), "musl")? {
//!     if a.status == Status::Fixed {
//!         let _fixed_in = &a.fixed; // e.g. ["1.1.18-r4"] for CVE-2019-14697
//!     }
//!     // Feeds like secdb state no severity: NVD's vectors fill in.
//!     let _cvss = db.cvss_for(&a.advisory_id)?;
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Fuzzing
//!
//! Feeds are downloaded input: `fuzz/` holds the cargo-fuzz target `feeds`, which gives
//! arbitrary bytes to every reader (an OSV record, an OSV `all.zip`, an Alpine secdb document,
//! the Debian tracker JSON, an NVD page; the first byte picks one) through the hidden
//! `fuzzing` module. Bad input must be a [`Skip`], never a panic. `fuzz/make_seeds.sh` cuts
//! seeds from the real feeds in `../shared/data/advisories`; then, in `fuzz/`,
//! `cargo +nightly fuzz run feeds`.

mod build;
mod db;
mod error;
mod feed;
mod key;
mod model;
mod schema;
mod time;
pub mod update;
mod validate;

use std::path::PathBuf;
use std::time::Duration;

pub use build::{BuildReport, SourceStats, build};
pub use db::{Db, DbStatus};
pub use error::{DbError, FetchError};
pub use feed::debian::release_number as debian_release_number;
pub use feed::fuzz_entry_points as fuzzing;
pub use feed::{Layout, Skip, SkipReason};
pub use key::{FeedKey, normalize_package};
pub use model::{
    Advisory, Affected, AliasGroup, Event, Informational, Range, RangeKind, Reference, Severity,
    SeverityKind, Status,
};
pub use schema::SCHEMA_VERSION;

/// Scans warn when the DB is older than this, unless configured otherwise.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(7 * 24 * 3600);

/// Where the DB lives unless `--db` says otherwise: `$DRYDOCK_DB`, else
/// `$XDG_CACHE_HOME/drydock/db/drydock.db`, else `~/.cache/drydock/db/drydock.db`.
pub fn default_db_path() -> Result<PathBuf, DbError> {
    let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(p) = var("DRYDOCK_DB") {
        return Ok(PathBuf::from(p));
    }
    let cache = var("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .ok_or(DbError::NoCacheDir)?;
    Ok(cache.join("drydock").join("db").join("drydock.db"))
}
