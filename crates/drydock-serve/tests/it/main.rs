//! drydock-serve tests: a real server on a loopback port over stores filled from real scans,
//! on SQLite and PostgreSQL; the API, auth, CSRF, headers, escaping, OpenAPI, and a headless
//! Chromium that triages through the form.

#[path = "../../../drydock-store/tests/pg_cluster.rs"]
mod pg_cluster;

mod api;
mod browser;
mod client;
mod data;
mod health;
mod lists;
mod log;
mod pages;
mod readiness;
