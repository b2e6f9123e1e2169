//! Matching an inventory against the vulnerability DB: [`Finding`]s and [`Notice`]s.
//!
//! [`match_inventory`] looks every package of an [`Inventory`](drydock_package::Inventory) up in
//! a [`Db`](drydock_advisory::Db):
//!
//! - **OS packages** by their *source* package ([`Package::source_name`]: apk `origin`, dpkg
//!   `Source:`, the source rpm) under the image's distribution and release
//!   ([`FeedKey::for_os`]): Alpine 3.10 against secdb `v3.10` and OSV `Alpine:v3.10` records,
//!   Debian 12 against the tracker's `bookworm` and OSV `Debian:12`. The installed version is the
//!   binary version for apk and rpm and the source version for dpkg (the tracker states fixed
//!   source versions).
//! - **Language packages** against OSV for their ecosystem ([`FeedKey::for_ecosystem`]), names
//!   normalized as the DB stores them. `ECOSYSTEM` ranges use the ecosystem's [`Scheme`];
//!   `SEMVER` ranges use SemVer (Go keeps its own scheme, a superset that accepts the `v`).
//!   Go's standard library is looked up as `stdlib`; `go1.19.8`, `v1.19.8` and `1.19.8` all
//!   compare as `1.19.8`, and `go1.21rc2` as `1.21.0-rc.2`, as the Go vulnerability database
//!   spells them.
//!
//! One [`Finding`] per package and vulnerability: records that alias each other (a CVE, its
//! GHSA, the PYSEC or RUSTSEC record) are merged and reported under the DB's canonical id of
//! the group — the lowest CVE if there is one, else the lowest GHSA, else the record's own id.
//! That is the id Trivy shows for language packages (`CVE-2022-24713` rather than
//! `RUSTSEC-2022-0013`); the other ids are in [`Finding::aliases`].
//!
//! Severity is ranked: the vendor's (distribution urgency, GHSA `database_specific.severity`),
//! then NVD's (v3 before v4 before v2, NVD's own statement before a CNA's), then the base
//! severity of the record's own CVSS vector; [`Finding::severity_source`] says which. Every
//! known vector is scored in [`Finding::cvss`], environmentally too when
//! [`MatchOptions::env_profile`] is set.
//!
//! RustSec `informational` advisories (unmaintained, unsound, notice) become [`Notice`]s, not
//! findings. A version the scheme cannot parse becomes a warning naming the package and the
//! version; it is never reported as affected.
//!
//! ```no_run
//! use drydock_advisory::Db;
//! use drydock_match::{MatchOptions, match_inventory};
//! use drydock_package::{Ecosystem, Inventory, Package};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let db = Db::open(&drydock_advisory::default_db_path()?)?;
//! let inv = Inventory {
//!     os: None,
//!     packages: vec![Package::new(Ecosystem::Cargo, "regex", "1.5.4")],
//!     warnings: Vec::new(),
//! };
//! let outcome = match_inventory("my-project", &inv, &db, &MatchOptions::default())?;
//! for f in &outcome.findings {
//!     println!("{} {} {} {:?} {}", f.package, f.installed, f.id, f.fixed, f.severity);
//! }
//! for w in &outcome.warnings {
//!     eprintln!("warning: {w}");
//! }
//! # Ok(())
//! # }
//! ```
//!
//! [`Package::source_name`]: drydock_package::Package::source_name
//! [`FeedKey::for_os`]: drydock_advisory::FeedKey::for_os
//! [`FeedKey::for_ecosystem`]: drydock_advisory::FeedKey::for_ecosystem
//! [`Scheme`]: drydock_version::Scheme

mod coverage;
mod finding;
pub mod identity;
mod matcher;
pub mod reachability;
mod severity;
mod url;

pub use coverage::{Coverage, CoverageError, coverage};
pub use finding::{
    CvssScore, Finding, FindingStatus, Notice, Severity, SeveritySource, fingerprint,
};
pub use matcher::{MatchError, MatchOptions, MatchOutcome, go_version, match_inventory};
pub use reachability::Reachability;
pub use url::advisory_page;
