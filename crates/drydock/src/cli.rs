//! Raw flags, as clap parses them. Commands turn these into settings in `cmd::*`.

use clap::{Args, Parser, Subcommand};

use crate::cmd;

/// drydock: find known vulnerabilities in container images and project directories, and run
/// the workflow around them (CI gates, accepted risks, reports).
#[derive(Debug, Parser)]
#[command(
    name = "drydock",
    version = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("DRYDOCK_COMMIT"), ")"),
    about,
    long_about = None,
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// More log output (-v info, -vv debug, -vvv trace). `RUST_LOG` overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Debug log output (the same as `-vv`; Trivy's `--debug`).
    #[arg(long, global = true)]
    pub debug: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan a container image (archive, OCI layout or archive, rootfs tarball, registry) or an
    /// SBOM for vulnerabilities.
    #[command(mut_arg("target", |a| a.help(cmd::scan::IMAGE_TARGET_HELP)))]
    Image(cmd::scan::ScanArgs),
    /// Scan a directory (a project checkout or an unpacked root filesystem) for vulnerabilities.
    #[command(
        mut_arg("target", |a| a.help(cmd::scan::FS_TARGET_HELP)),
        after_help = cmd::scan::FS_AFTER_HELP
    )]
    Fs(cmd::scan::ScanArgs),
    /// List the packages of an image or directory (an SBOM), with their layers.
    Sbom(cmd::sbom::SbomArgs),
    /// Print drydock's version, commit and DB age; compare versions and test range membership.
    Version(cmd::version::VersionArgs),
    /// Score a CVSS vector (v2, v3.0, v3.1, v4.0), optionally for an environment.
    Cvss(cmd::cvss::CvssArgs),
    /// Check Dockerfiles (and with --image, an image) for misconfigurations and secrets.
    Config(cmd::config::ConfigArgs),
    /// Inspect and empty the caches: images pulled from registries, and layers already walked.
    #[command(subcommand)]
    Cache(cmd::cache::CacheCommand),
    /// Build, update and inspect the vulnerability database.
    #[command(subcommand)]
    Db(cmd::db::DbCommand),
    /// Scan every image of every release of a fleet into the history store.
    #[command(subcommand)]
    Fleet(cmd::fleet::FleetCommand),
    /// What the history store holds: runs, the images of a run, an image's scan history.
    #[command(subcommand)]
    History(cmd::history::HistoryCommand),
    /// What changed between two runs, two releases, or two saved JSON reports.
    Diff(cmd::diff::DiffArgs),
    /// Manage the history store (schema migrations).
    #[command(subcommand)]
    Store(cmd::history::StoreCommand),
    /// Sign a JSON scan report as an attestation about an image digest (cosign's vuln predicate).
    Attest(cmd::attest::AttestArgs),
    /// Check a signed scan attestation: key, subject digest, type, age, denied severities.
    VerifyAttestation(cmd::verify_attestation::VerifyAttestationArgs),
    /// Triage findings in the history store: states, reasons, expiry, audit trail, VEX.
    #[command(subcommand)]
    Triage(cmd::triage::TriageCommand),
    /// Publish the latest run: one CSV per release, a static HTML site, index.json.
    Publish(cmd::publish::PublishArgs),
    /// Serve the dashboard and REST API over the history store (triage from the browser).
    Serve(cmd::serve::ServeArgs),
    /// Keep one tracker issue per image (GitHub, GitLab, Gitea) in step with a run.
    #[command(subcommand)]
    Track(cmd::track::TrackCommand),
    /// Send one digest of what a run found new to Slack, Teams or a signed JSON webhook.
    Alert(cmd::alert::AlertArgs),
}

pub fn init_logging(g: &GlobalArgs) {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
    let verbose = if g.debug { g.verbose.max(2) } else { g.verbose };
    let level = if g.quiet {
        "error"
    } else {
        match verbose {
            0 => "warn",
            1 => "info",
            2 => "debug",
            _ => "trace",
        }
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    // Colours only on a terminal: CI log files get plain `WARN` lines.
    let ansi = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(|| SafeStderr)
        .with_target(false)
        .without_time()
        .init();
}

/// stderr for log lines. Messages quote names from images, feeds and stores; tracing escapes
/// ESC in them but not `\r`, other controls or bidirectional overrides, so drydock's one
/// escaper ([`drydock_package::text`]) takes those. ESC passes: tracing has escaped it in the
/// messages already, and the level colours on a terminal are made of it.
struct SafeStderr;

impl std::io::Write for SafeStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            if c != '\n' && c != '\u{1b}' && drydock_package::text::is_unsafe(c) {
                out.extend(c.escape_default());
            } else {
                out.push(c);
            }
        }
        std::io::stderr().write_all(out.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}
