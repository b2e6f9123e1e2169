//! `drydock image` and `drydock fs`: inventory × DB → findings → policy → reports → exit code.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use drydock_advisory::Db;
use drydock_match::{MatchOptions, Severity};
use drydock_policy::{IgnoreFile, Policy, SeveritySourceChoice, VexDoc};
use drydock_report::Format;
use drydock_scan::ScanSettings;

use super::db::DbPath;
use super::output::{self, OutputArgs};
use super::target::TargetArgs;

#[derive(Debug, Args)]
#[command(
    after_help = "Exit codes: 0 when nothing fails the gate, the `--exit-code` value when something does,
2 for usage and input errors (one line on stderr).

Examples:
  drydock image alpine.tar.gz
  drydock image ./oci-layout:1.0 --severity HIGH,CRITICAL --ignore-unfixed --exit-code 1
  drydock image app.tar --fail-on CRITICAL --format json=report.json --format table
  drydock fs . --format sarif --output drydock.sarif"
)]
pub struct ScanArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub db: DbPath,
    /// Warn when the DB is older than this many days.
    #[arg(long, value_name = "DAYS", default_value_t = 7)]
    pub db_max_age: u64,
    /// Report only these severities (comma-separated: UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL).
    #[arg(long, short = 's', value_delimiter = ',', value_name = "SEVERITIES")]
    pub severity: Vec<Severity>,
    /// Do not report vulnerabilities that have no fixed version yet.
    #[arg(long)]
    pub ignore_unfixed: bool,
    /// Exit with this code when a reported finding fails the gate (default 0, or 1 with --fail-on).
    #[arg(long, value_name = "N")]
    pub exit_code: Option<u8>,
    /// Fail the gate only for findings at or above this severity; the report still shows all.
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<Severity>,
    /// Only findings with a fixed version fail the gate.
    #[arg(long)]
    pub fixable_only: bool,
    /// Also fail the gate on advisory warnings (RustSec unmaintained, unsound, notice).
    #[arg(long)]
    pub fail_on_warnings: bool,
    /// Ignore file: drydock YAML (id, reason and expires required), `.trivyignore` or
    /// `.trivyignore.yaml` [default: those present in the current directory].
    #[arg(long, value_name = "FILE")]
    pub ignore_file: Vec<PathBuf>,
    /// VEX document (OpenVEX or CycloneDX VEX): `not_affected` and `fixed` statements suppress.
    #[arg(long, value_name = "FILE")]
    pub vex: Vec<PathBuf>,
    /// Show filtered and suppressed findings (with their reason) in the table.
    #[arg(long)]
    pub show_suppressed: bool,
    /// Re-score CVSS with this environment profile from drydock.toml (`[env-profiles.NAME]`).
    #[arg(long, value_name = "NAME")]
    pub env_profile: Option<String>,
    /// Environmental metrics to apply directly, e.g. `MAV:A/CR:H/IR:M/AR:L`.
    #[arg(long, value_name = "METRICS")]
    pub env: Option<String>,
    /// drydock.toml to read environment profiles from.
    #[arg(long, value_name = "PATH", env = "DRYDOCK_CONFIG")]
    pub config: Option<PathBuf>,
    /// Which severity `--severity` and `--fail-on` read.
    #[arg(long, value_enum, default_value_t = SeveritySourceArg::Base)]
    pub severity_source: SeveritySourceArg,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SeveritySourceArg {
    /// The vendor/NVD/CVSS base severity.
    Base,
    /// The environmental severity under `--env-profile`/`--env`, else the base one.
    Environmental,
}

const SCAN_FORMATS: &[Format] = &Format::ALL;

pub use drydock_scan::Kind;

pub fn run(args: ScanArgs, kind: Kind, platform_explicit: bool) -> anyhow::Result<ExitCode> {
    let sinks = args.output.sinks(SCAN_FORMATS)?;
    let settings = settings(&args)?;
    let db = open_db(&args.db, args.db_max_age)?;
    let spec = args.target.spec(platform_explicit)?;
    let outcome = drydock_scan::scan(&spec, kind, &db, &settings)?;
    output::write_all(&outcome.report, &sinks, args.show_suppressed)?;
    Ok(exit_code(&args, outcome.gate_failed))
}

/// The exit code for a gate outcome: `--exit-code`, else 1 with `--fail-on`, else 0.
pub fn exit_code(args: &ScanArgs, failed: bool) -> ExitCode {
    let code = args
        .exit_code
        .unwrap_or(if args.fail_on.is_some() { 1 } else { 0 });
    if failed && code != 0 {
        ExitCode::from(code)
    } else {
        ExitCode::SUCCESS
    }
}

/// The policy and gate settings of the scan flags.
pub fn settings(args: &ScanArgs) -> anyhow::Result<ScanSettings> {
    Ok(ScanSettings {
        policy: policy(args)?,
        match_options: MatchOptions {
            env_profile: env_profile(args)?,
        },
        fail_on_warnings: args.fail_on_warnings,
        // A gate is reported when one was asked for.
        gate_requested: args.exit_code.is_some() || args.fail_on.is_some() || args.fail_on_warnings,
        today: None,
        suppressor: None,
        releases: Vec::new(),
    })
}

/// Opens the vulnerability DB read-only; warns when it is older than `max_age_days`.
pub fn open_db(db: &DbPath, max_age_days: u64) -> anyhow::Result<Db> {
    let path = match &db.db {
        Some(p) => p.clone(),
        None => drydock_advisory::default_db_path()?,
    };
    if !path.is_file() {
        anyhow::bail!(
            "no vulnerability DB at `{}`: build one with `drydock db build --feeds DIR` or fetch one with `drydock db update`",
            path.display()
        );
    }
    let db = Db::open(&path)
        .with_context(|| format!("opening the vulnerability DB `{}`", path.display()))?;
    if let Ok(age) = db.age() {
        let days = age.as_secs() / 86_400;
        if days > max_age_days {
            tracing::warn!(
                "the vulnerability DB `{}` is {days} days old: run `drydock db update`",
                path.display()
            );
        }
    }
    Ok(db)
}

pub fn policy(args: &ScanArgs) -> anyhow::Result<Policy> {
    let ignore = if args.ignore_file.is_empty() {
        IgnoreFile::discover(std::path::Path::new("."))?
    } else {
        let mut merged: Option<IgnoreFile> = None;
        for f in &args.ignore_file {
            let file = IgnoreFile::load(f)?;
            match &mut merged {
                Some(m) => m.entries.extend(file.entries),
                None => merged = Some(file),
            }
        }
        merged
    };
    let vex = args
        .vex
        .iter()
        .map(|p| VexDoc::load(p))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Policy {
        severities: (!args.severity.is_empty())
            .then(|| args.severity.iter().copied().collect::<BTreeSet<_>>()),
        ignore_unfixed: args.ignore_unfixed,
        ignore,
        vex,
        fail_on: args.fail_on,
        fixable_only: args.fixable_only,
        severity_source: match args.severity_source {
            SeveritySourceArg::Base => SeveritySourceChoice::Base,
            SeveritySourceArg::Environmental => SeveritySourceChoice::Environmental,
        },
    })
}

pub fn env_profile(args: &ScanArgs) -> anyhow::Result<Option<drydock_cvss::EnvProfile>> {
    let named = match &args.env_profile {
        Some(name) => {
            let path = drydock_cvss::config_path_candidates(args.config.as_deref())
                .into_iter()
                .find(|p| p.is_file())
                .with_context(|| format!("`--env-profile {name}`: no drydock.toml found"))?;
            let profiles = drydock_cvss::EnvProfiles::load(&path)?;
            Some(
                profiles
                    .get(name)
                    .cloned()
                    .with_context(|| format!("no profile `{name}` in `{}`", path.display()))?,
            )
        }
        None => None,
    };
    let direct = args
        .env
        .as_deref()
        .map(drydock_cvss::EnvProfile::parse)
        .transpose()?;
    Ok(match (named, direct) {
        (Some(n), Some(d)) => Some(n.merged_with(&d)),
        (n, d) => n.or(d),
    })
}
