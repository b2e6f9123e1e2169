//! One module per subcommand; each turns its raw flags into settings and runs.

pub mod accepted;
pub mod alert;
pub mod attest;
pub mod cache;
pub mod config;
pub mod cvss;
pub mod db;
pub mod diff;
pub mod fleet;
pub mod history;
mod output;
pub mod publish;
mod report;
pub mod sbom;
pub mod scan;
pub mod serve;
mod target;
pub mod track;
pub mod triage;
pub mod verify_attestation;
pub mod version;

use std::process::ExitCode;

use crate::cli::{Cli, Command};

pub fn run(cli: Cli, platform_explicit: bool) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Sbom(a) => sbom::run(a, platform_explicit),
        Command::Image(a) => scan::run(a, scan::Kind::Image, platform_explicit),
        Command::Fs(a) => scan::run(a, scan::Kind::Fs, platform_explicit),
        Command::Version(c) => version::run(c),
        Command::Cvss(a) => cvss::run(a),
        Command::Config(a) => config::run(a),
        Command::Cache(c) => cache::run(c),
        Command::Db(c) => db::run(c),
        Command::Fleet(c) => fleet::run(c),
        Command::History(c) => history::run(c),
        Command::Diff(a) => diff::run(a),
        Command::Store(c) => history::run_store(c),
        Command::Attest(a) => attest::run(a),
        Command::VerifyAttestation(a) => verify_attestation::run(a),
        Command::Triage(c) => triage::run(c),
        Command::Publish(a) => publish::run(a),
        Command::Serve(a) => serve::run(a),
        Command::Track(c) => track::run(c),
        Command::Alert(a) => alert::run(a),
    }
}
