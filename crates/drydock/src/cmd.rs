//! One module per subcommand; each turns its raw flags into settings and runs.

pub mod cvss;
pub mod db;
pub mod version;

use std::process::ExitCode;

use crate::cli::{Cli, Command};

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Version(c) => version::run(c),
        Command::Cvss(a) => cvss::run(a),
        Command::Db(c) => db::run(c),
    }
}
