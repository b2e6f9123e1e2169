//! Findings → decisions. (Types first; rules being written.)

mod decision;

pub use decision::{Decision, PolicyNotice, PolicyNoticeKind, Verdict};
