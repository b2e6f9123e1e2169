//! Matching an inventory against the vulnerability DB: findings.
//!
//! (Types first; matchers being written.)

mod finding;

pub use finding::{
    CvssScore, Finding, FindingStatus, Notice, Severity, SeveritySource, fingerprint,
};
