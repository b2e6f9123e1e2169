//! CVSS for drydock: parse vectors of v2, v3.0, v3.1 and v4.0, re-score them for an
//! environment, and present base, temporal/threat and environmental scores with severities.
//!
//! Scoring is the RustSec [`cvss`] crate's, which implements the FIRST equations (v4.0 with
//! its MacroVector lookup). This crate adds what a scanner needs around it:
//!
//! - [`parse`] / [`Vector`]: every spelling found in feeds — `(AV:N/…)`, `CVSS:2.0/…`,
//!   lower case, whitespace — normalised to one canonical vector; errors name the bad metric.
//! - [`Vector::scores`] → [`Scores`]: base, temporal (v2, v3) or threat (v4), environmental,
//!   each with a [`Severity`].
//! - [`EnvProfile`]: environmental metrics written once (`MAV:A/CR:H/IR:M/AR:L`) and mapped to
//!   each version by [`Vector::with_env`].
//! - [`EnvProfiles`]: the `[env-profiles.NAME]` tables of `drydock.toml`, found by
//!   [`config_path_candidates`] / [`discover`].
//!
//! ```
//! use drydock_cvss::{EnvProfile, Severity, parse};
//!
//! let vector = parse("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")?;
//! let internal = EnvProfile::parse("MAV:A/CR:H/IR:M/AR:L")?;
//! let scores = vector.with_env(&internal)?.scores();
//! assert_eq!(scores.base_severity, Severity::Critical);
//! assert_eq!(scores.environmental_score, Some(8.8));
//! assert_eq!(scores.environmental_severity, Some(Severity::High));
//! # Ok::<(), drydock_cvss::CvssError>(())
//! ```

mod config;
mod error;
mod metric;
mod profile;
mod score;
mod severity;
mod vector;

pub use config::{
    CONFIG_ENV, CONFIG_FILE, ConfigError, EnvProfiles, candidates_with, config_path_candidates,
    discover,
};
pub use error::CvssError;
pub use profile::EnvProfile;
pub use score::Scores;
pub use severity::{ParseSeverityError, Severity};
pub use vector::{Vector, Version, parse};
