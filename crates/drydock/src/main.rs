//! The `drydock` command line: parses flags, runs one command, maps the outcome to an exit code.
//!
//! Exit codes: 0 success (or findings below the gate), the `--exit-code` value when the gate
//! fails, 2 for input and usage errors (always with a one-line message on stderr).

mod cli;
mod cmd;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

fn main() -> ExitCode {
    let matches = cli::Cli::command().get_matches();
    // Whether `--platform` was given (not defaulted): then a single-platform image of another
    // platform is an error rather than the only choice.
    let platform_explicit = matches
        .subcommand()
        .and_then(|(_, m)| {
            m.try_contains_id("platform")
                .ok()
                .filter(|b| *b)
                .and_then(|_| m.value_source("platform"))
        })
        .is_some_and(|src| src != clap::parser::ValueSource::DefaultValue);
    let cli = match cli::Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    cli::init_logging(&cli.global);
    match cmd::run(cli, platform_explicit) {
        Ok(code) => code,
        Err(err) => {
            // One line: the error and its causes joined, values already in backticks.
            let mut msg = err.to_string();
            for cause in err.chain().skip(1) {
                msg.push_str(": ");
                msg.push_str(&cause.to_string());
            }
            eprintln!("drydock: error: {msg}");
            ExitCode::from(2)
        }
    }
}
