//! drydock-triage integration tests: the store's triage records on SQLite and PostgreSQL, the
//! scan-time suppressor on real scans, handbook pages, release CSVs, VEX and the site.

#[path = "../../../drydock-store/tests/pg_cluster.rs"]
mod pg_cluster;

mod atomic;
mod data;
mod handbook;
mod import;
mod publish;
mod store;
mod suppress;
mod vex;
