//! Version parsing, ordering and range membership for every ecosystem drydock scans.
//!
//! A scanner is only as right as its version comparisons, so each [`Scheme`] follows its
//! ecosystem's reference implementation, and the crate's tests compare it against that reference
//! where one runs on a Debian machine (`dpkg`, `rpm`, Python's `packaging`, npm's `semver`,
//! Maven's own `ComparableVersion`).
//!
//! The entry points take the scheme and the text:
//!
//! - [`validate`] and [`compare`]: is this a version, and how do two versions order;
//! - [`in_osv_range`]: is a version inside an OSV `ranges[].events` list
//!   (`introduced`/`fixed`/`last_affected`/`limit`);
//! - [`in_native_range`]: is a version inside the scheme's own range syntax (npm `^1.2 || 2.x`,
//!   PEP 440 `>=1,<2,!=1.5.*`, Maven `[1.0,2.0)`, RubyGems `~> 1.2`, …).
//!
//! Unparseable text is a [`VersionError`] quoting it: never a panic, never "equal".
//!
//! ```
//! use std::cmp::Ordering;
//! use drydock_version::{compare, in_native_range, in_osv_range, RangeEvent, Scheme};
//!
//! assert_eq!(compare(Scheme::Dpkg, "1.0~rc1-1", "1.0-1")?, Ordering::Less);
//! assert!(in_native_range(Scheme::Pep440, "1.5.1", ">=1,<2,!=1.5.*").map(|b| !b)?);
//! let events = [RangeEvent::Introduced("0".into()), RangeEvent::Fixed("2.31-13".into())];
//! assert!(in_osv_range(Scheme::Dpkg, "2.31-12", &events)?);
//! # Ok::<(), drydock_version::VersionError>(())
//! ```
//!
//! # Where each scheme comes from
//!
//! | scheme | implementation | checked against |
//! |---|---|---|
//! | [`Scheme::Dpkg`] | written here ([`dpkg`]) | `dpkg --compare-versions`, python3-apt |
//! | [`Scheme::Rpm`] | written here ([`rpm`]) | rpm's `rpm.vercmp` |
//! | [`Scheme::Apk`] | written here ([`apk`]) | apk-tools' documented rules and Alpine secdb |
//! | [`Scheme::Semver`] | `semver` crate (versions and Cargo requirements) | the SemVer 2.0 precedence rules |
//! | [`Scheme::Npm`] | `nodejs-semver` crate | npm's `semver` package |
//! | [`Scheme::Pep440`] | `pep440_rs` crate, plus a check of the text against PEP 440's grammar | Python's `packaging` |
//! | [`Scheme::Maven`] | written here ([`maven`]) | Maven's `ComparableVersion` (when a Maven install is present) |
//! | [`Scheme::Go`] | written here on top of the `semver` crate ([`go`]) | the Go module reference |
//! | [`Scheme::Gem`] | written here ([`gem`]) | RubyGems' documented `Gem::Version` rules |
//! | [`Scheme::Nuget`] | written here ([`nuget`]) | NuGet's documented rules |
//! | [`Scheme::Composer`] | written here ([`composer`]) | Composer's documented rules |
//!
//! The module docs of each hand-written scheme say why no crate was used. OSV range evaluation
//! ([`in_osv_range`]) is written here after the OSV schema's pseudo-code.

pub mod apk;
pub mod composer;
pub mod dpkg;
mod error;
pub mod gem;
pub mod go;
pub mod maven;
pub mod nuget;
mod ops;
mod osv;
pub mod pep440;
pub mod rpm;
mod scheme;
pub mod semver;

use std::cmp::Ordering;

pub use error::VersionError;
pub use osv::{RangeEvent, in_osv_range};
pub use scheme::{Scheme, UnknownScheme};

/// Checks that `v` is a version of `scheme`.
pub fn validate(scheme: Scheme, v: &str) -> Result<(), VersionError> {
    match scheme {
        Scheme::Dpkg => dpkg::validate(v),
        Scheme::Rpm => rpm::validate(v),
        Scheme::Apk => apk::validate(v),
        Scheme::Semver => semver::validate(Scheme::Semver, v),
        Scheme::Npm => semver::validate(Scheme::Npm, v),
        Scheme::Pep440 => pep440::validate(v),
        Scheme::Maven => maven::validate(v),
        Scheme::Go => go::validate(v),
        Scheme::Gem => gem::validate(v),
        Scheme::Nuget => nuget::validate(v),
        Scheme::Composer => composer::validate(v),
    }
}

/// Orders two versions of `scheme`. An error names the first of the two that is invalid.
pub fn compare(scheme: Scheme, a: &str, b: &str) -> Result<Ordering, VersionError> {
    match scheme {
        Scheme::Dpkg => dpkg::compare(a, b),
        Scheme::Rpm => rpm::compare(a, b),
        Scheme::Apk => apk::compare(a, b),
        Scheme::Semver => semver::compare(Scheme::Semver, a, b),
        Scheme::Npm => semver::compare(Scheme::Npm, a, b),
        Scheme::Pep440 => pep440::compare(a, b),
        Scheme::Maven => maven::compare(a, b),
        Scheme::Go => go::compare(a, b),
        Scheme::Gem => gem::compare(a, b),
        Scheme::Nuget => nuget::compare(a, b),
        Scheme::Composer => composer::compare(a, b),
    }
}

/// Is `version` inside `range`, written in the scheme's own range syntax?
///
/// | scheme | syntax |
/// |---|---|
/// | npm | npm ranges: `^1.2.3`, `~1.2`, `1.x`, `1.2 - 2.3`, `>=1 <2 \|\| 3`, with npm's prerelease rule |
/// | cargo | Cargo requirements: `^1.2`, `~1.2`, `>=1, <2`, `1.*`, `=1.2.3` (a bare `1.2` means `^1.2`) |
/// | pypi | PEP 440 specifier sets: `>=1,<2,!=1.5.*`, `~=1.4.2`, `===1.0` |
/// | maven | version ranges: `[1.0,2.0)`, `(,1.0],[1.2,)`, `[1.5]`; a bare version is an exact match |
/// | gem | requirements: `~> 1.2`, `>= 1.0, < 2`, `!= 1.5` |
/// | nuget | intervals `[1.0,2.0)`, `(,1.0]`, `[1.0]`; a bare version means `>=` |
/// | composer | constraints: `^1.2 \|\| >=2.0,<2.3`, `~1.2`, `1.2.*`, `1.0 - 2.0`, `!=1.5` |
/// | deb, rpm, apk, golang | comparisons `<`, `<=`, `>`, `>=`, `=`, `!=` (also dpkg's `<<`, `>>`), joined by `,` or spaces (all must hold) and `\|\|` (either side) |
pub fn in_native_range(scheme: Scheme, version: &str, range: &str) -> Result<bool, VersionError> {
    match scheme {
        Scheme::Dpkg | Scheme::Rpm | Scheme::Apk | Scheme::Go => {
            ops::in_comparisons(scheme, version, range)
        }
        Scheme::Semver => semver::in_cargo_range(version, range),
        Scheme::Npm => semver::in_npm_range(version, range),
        Scheme::Pep440 => pep440::in_specifiers(version, range),
        Scheme::Maven => maven::in_range(version, range),
        Scheme::Gem => gem::in_requirement(version, range),
        Scheme::Nuget => nuget::in_range(version, range),
        Scheme::Composer => composer::in_constraint(version, range),
    }
}
