//! The `drydock` command line: parses flags, runs one command, maps the outcome to an exit code.
//!
//! Exit codes: 0 success (or findings below the gate), the `--exit-code` value when the gate
//! fails, 2 for input and usage errors (always with a one-line message on stderr, prefixed
//! `drydock: error:`).

mod cli;
mod cmd;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    // `drydock --version` adds the DB's age to what clap prints (`drydock image -V` does not
    // open the DB).
    if let [_, flag] = args.as_slice()
        && (flag == "--version" || flag == "-V")
    {
        let db = std::env::var_os("DRYDOCK_DB").map(std::path::PathBuf::from);
        println!("{}", cmd::version::long_version(db.as_deref()));
        return ExitCode::SUCCESS;
    }
    let matches = match cli::Cli::command().try_get_matches_from(&args) {
        Ok(m) => m,
        Err(e) => return usage_error(&e, &args),
    };
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
        Err(e) => return usage_error(&e, &args),
    };
    cli::init_logging(&cli.global);
    temp_files(&matches);
    match cmd::run(cli, platform_explicit) {
        Ok(code) => code,
        Err(err) => {
            // A closed pipe (`drydock fs . | head`) is the reader's choice, not an error.
            if err.chain().any(is_broken_pipe) {
                return ExitCode::SUCCESS;
            }
            // One line: the error and its causes joined, values already in backticks.
            let mut msg = err.to_string();
            for cause in err.chain().skip(1) {
                let cause = cause.to_string();
                // `io::Error`s repeat themselves through `#[source]` wrappers.
                if !msg.ends_with(&cause) {
                    msg.push_str(": ");
                    msg.push_str(&cause);
                }
            }
            // Values in errors may come from an image, a feed or a store: shown escaped and
            // bounded, so no error can rewrite the terminal or fill a log with one line.
            eprintln!(
                "drydock: error: {}",
                drydock_package::text::shown_max(&msg, ERROR_MAX_CHARS)
            );
            ExitCode::from(2)
        }
    }
}

/// Temporary inflated archives go under the cache directory (`--cache-dir`, else the default
/// cache root: `CACHE/inflate/`), never into `/tmp` by surprise; SIGINT and SIGTERM remove
/// them and exit 130 / 143. `serve` keeps its own graceful shutdown on those signals.
fn temp_files(matches: &clap::ArgMatches) {
    let mut m = matches;
    let mut cache_dir = None;
    let mut serve = false;
    while let Some((name, sub)) = m.subcommand() {
        serve |= name == "serve";
        if let Ok(Some(d)) = sub.try_get_one::<std::path::PathBuf>("cache_dir") {
            cache_dir = Some(d.clone());
        }
        m = sub;
    }
    if let Some(root) = cache_dir.or_else(|| drydock_registry::Cache::default_root().ok()) {
        drydock_image::temp::set_dir(root.join("inflate"));
    }
    if !serve && let Err(e) = drydock_image::temp::remove_on_signals() {
        tracing::debug!("no SIGINT/SIGTERM handler: {e}");
    }
}

/// The most characters of an error message printed.
const ERROR_MAX_CHARS: usize = 4096;

fn is_broken_pipe(e: &(dyn std::error::Error + 'static)) -> bool {
    e.downcast_ref::<std::io::Error>()
        .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}

/// Help and version go to stdout as clap writes them; a usage error is one line on stderr,
/// with clap's tip when it has one and where to read more, and exit status 2.
fn usage_error(e: &clap::Error, args: &[OsString]) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            return ExitCode::from(2);
        }
        _ => {}
    }
    eprintln!(
        "drydock: error: {}",
        one_line(&e.render().to_string(), args)
    );
    ExitCode::from(2)
}

/// clap's rendered error (`error: …`, blank lines, `tip: …`, `Usage: …`, `For more
/// information…`) as one line: the message, its tips, and the help command to run.
fn one_line(rendered: &str, args: &[OsString]) -> String {
    let mut lines = rendered.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("invalid usage");
    let mut msg = first.strip_prefix("error: ").unwrap_or(first).to_string();
    for l in lines {
        if let Some(tip) = l.strip_prefix("tip: ") {
            // clap's "to pass '--x' as a value, use '-- --x'" misleads for a mistyped flag.
            if !tip.starts_with("to pass '") {
                msg.push_str(&format!(" ({tip})"));
            }
        } else if l.starts_with("Usage:") || l.starts_with("For more information") {
            break;
        } else {
            msg.push_str(&format!(" {l}"));
        }
    }
    let command = cli::Cli::command();
    let sub = args
        .iter()
        .skip(1)
        .filter_map(|a| a.to_str())
        .find(|a| command.get_subcommands().any(|s| s.get_name() == *a));
    match sub {
        Some(s) => format!("{msg}; see `drydock {s} --help`"),
        None => format!("{msg}; see `drydock --help`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_errors_become_one_line() {
        let rendered = "error: unexpected argument '--ignorefil' found\n\n  tip: a similar argument exists: '--ignore-file'\n\nUsage: drydock image --db <PATH> <TARGET>\n\nFor more information, try '--help'.\n";
        let args: Vec<OsString> = ["drydock", "image", "x", "--ignorefil"]
            .iter()
            .map(OsString::from)
            .collect();
        assert_eq!(
            one_line(rendered, &args),
            "unexpected argument '--ignorefil' found (a similar argument exists: '--ignore-file'); see `drydock image --help`"
        );
    }
}
