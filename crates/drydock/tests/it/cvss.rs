//! Tests of `drydock cvss`.
