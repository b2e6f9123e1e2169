//! `drydock version cmp|in`. (Owned by the drydock-version work; issue 4.)

use std::process::ExitCode;

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum VersionCommand {}

pub fn run(c: VersionCommand) -> anyhow::Result<ExitCode> {
    match c {}
}
