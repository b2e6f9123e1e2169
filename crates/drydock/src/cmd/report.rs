//! Building the report model from a scanned target (the pipeline lives in `drydock-scan`).

pub use drydock_scan::{now_rfc3339, target_report};
