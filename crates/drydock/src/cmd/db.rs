//! `drydock db build|update|status`. (Owned by the drydock-advisory work; issue 5.)

use std::process::ExitCode;

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum DbCommand {}

pub fn run(c: DbCommand) -> anyhow::Result<ExitCode> {
    match c {}
}
