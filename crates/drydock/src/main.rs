//! The `drydock` command line: parses flags, runs one command, maps the outcome to an exit code.
//!
//! Exit codes: 0 success (or findings below the gate), the `--exit-code` value when the gate
//! fails, 2 for input and usage errors (always with a one-line message on stderr).

mod cli;
mod cmd;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    cli::init_logging(&cli.global);
    match cmd::run(cli) {
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
