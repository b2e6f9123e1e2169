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
  drydock image bom.cdx.json --format sarif --output drydock.sarif
  drydock image app.tar --scanners vuln,misconfig,secret --dockerfile Dockerfile --exit-code 1
  drydock image --input app.tar --scanners vuln --no-progress --timeout 10m   # a Trivy CI line
  drydock image ghcr.io/org/app:1.4 --format json --output report.json --attest drydock.key --attest-push"
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
    #[command(flatten)]
    pub gate: GateArgs,
    /// Do not report vulnerabilities that have no fixed version yet.
    #[arg(long)]
    pub ignore_unfixed: bool,
    /// Do not report Go findings whose vulnerable code is not in the binary (package not
    /// linked, linked without the vulnerable symbols, or only built for other platforms than
    /// the binary's GOOS/GOARCH; read from the binary's function table and build info). They
    /// stay in JSON as `filtered` with the evidence. See docs/reachability.md.
    #[arg(long)]
    pub linked_only: bool,
    /// Only findings with a fixed version fail the gate.
    #[arg(long)]
    pub fixable_only: bool,
    /// Also fail the gate on advisory warnings (RustSec unmaintained, unsound, notice).
    #[arg(long)]
    pub fail_on_warnings: bool,
    /// VEX document (OpenVEX or CycloneDX VEX): `not_affected` and `fixed` statements suppress.
    #[arg(long, value_name = "FILE")]
    pub vex: Vec<PathBuf>,
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
    #[command(flatten)]
    pub trivy: TrivyArgs,
    #[command(flatten)]
    pub fail_issue: super::track::FailIssueArgs,
    #[command(flatten)]
    pub attest: super::attest::ScanAttestArgs,
}

/// The policy and gate flags every scan takes, `drydock config` included: `--severity`,
/// `--fail-on`, `--exit-code`, the ignore file and `--store` triage.
#[derive(Debug, Args)]
pub struct GateArgs {
    /// Report only these severities (comma-separated: UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL).
    #[arg(long, short = 's', value_delimiter = ',', value_name = "SEVERITIES")]
    pub severity: Vec<Severity>,
    /// Exit with this code when a reported finding fails the gate (default 0, or 1 with --fail-on).
    #[arg(long, value_name = "N")]
    pub exit_code: Option<u8>,
    /// Fail the gate only for findings at or above this severity; the report still shows all.
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<Severity>,
    /// Apply the triage recorded in this history store (accepted, not affected, false
    /// positive findings are suppressed with their reason); `DRYDOCK_STORE` does not turn it on.
    #[arg(long, value_name = "PATH|URL")]
    pub store: Option<String>,
    /// Ignore file: drydock YAML (id, reason and expires required), `.trivyignore` or
    /// `.trivyignore.yaml` [default: those present in the current directory].
    #[arg(long, alias = "ignorefile", value_name = "FILE")]
    pub ignore_file: Vec<PathBuf>,
    /// Show filtered and suppressed findings (with their reason) in the table.
    #[arg(long)]
    pub show_suppressed: bool,
}

impl GateArgs {
    /// The policy of these flags alone (the vulnerability-only ones at their defaults).
    pub fn policy(&self) -> anyhow::Result<Policy> {
        let ignore = if self.ignore_file.is_empty() {
            IgnoreFile::discover(std::path::Path::new("."))?
        } else {
            let mut merged: Option<IgnoreFile> = None;
            for f in &self.ignore_file {
                let file = IgnoreFile::load(f)?;
                match &mut merged {
                    Some(m) => m.entries.extend(file.entries),
                    None => merged = Some(file),
                }
            }
            merged
        };
        Ok(Policy {
            severities: (!self.severity.is_empty())
                .then(|| self.severity.iter().copied().collect::<BTreeSet<_>>()),
            ignore,
            fail_on: self.fail_on,
            ..Policy::default()
        })
    }

    /// Whether a gate was asked for (`--exit-code`, `--fail-on`): only then does the report
    /// carry one.
    pub fn gate_requested(&self) -> bool {
        self.exit_code.is_some() || self.fail_on.is_some()
    }

    /// The exit code for a gate outcome: `--exit-code`, else 1 with `--fail-on`, else 0.
    pub fn exit_code(&self, failed: bool) -> ExitCode {
        let code = self
            .exit_code
            .unwrap_or(if self.fail_on.is_some() { 1 } else { 0 });
        if failed && code != 0 {
            ExitCode::from(code)
        } else {
            ExitCode::SUCCESS
        }
    }

    /// `--store`: the history store's triage as the settings' suppressor.
    pub fn triage(
        &self,
        settings: &mut ScanSettings,
    ) -> anyhow::Result<Option<std::sync::Arc<drydock_triage::TriageSuppressor>>> {
        let Some(location) = &self.store else {
            return Ok(None);
        };
        let mut store = drydock_store::Store::open(location)?;
        let t = std::sync::Arc::new(drydock_triage::TriageSuppressor::from_store(&mut store)?);
        settings.suppressor = Some(t.clone());
        Ok(Some(t))
    }
}

/// Triage records of this repository that matched nothing, reported as unused ignore-file
/// entries are.
pub fn report_unused_triage(
    triage: Option<&drydock_triage::TriageSuppressor>,
    report: &mut drydock_report::Report,
) {
    if let Some(t) = triage {
        for n in t.unused_notices(false) {
            tracing::warn!("{}", n.message);
            report.policy_notices.push(n);
        }
    }
}

/// Trivy's CI flags, with Trivy's meaning where drydock has one and as documented no-ops where
/// it has nothing to do (docs/migrating-from-trivy.md).
#[derive(Debug, Args)]
#[command(next_help_heading = "Trivy compatibility")]
pub struct TrivyArgs {
    /// What to scan for: `vuln` (the default), `misconfig` (Trivy's `config`: the image
    /// config, history, accounts, setuid files, `--dockerfile`; `drydock fs` also checks the
    /// Dockerfiles it finds), `secret` (token formats, credential files, secrets a later layer
    /// deleted), or `all`. All run in one pass over the layers and share the report and the
    /// gate (see docs/misconfig.md). `--security-checks` is the old name.
    #[arg(
        long,
        alias = "security-checks",
        value_delimiter = ',',
        value_name = "SCANNERS"
    )]
    pub scanners: Vec<String>,
    /// The Dockerfile the image was built from, checked along with the image
    /// (`--scanners misconfig` and/or `secret`).
    #[arg(long, value_name = "PATH")]
    pub dockerfile: Option<PathBuf>,
    /// Which packages to match: `os`, `library`, or both (the default). `--vuln-type` is the
    /// old name.
    #[arg(long, alias = "vuln-type", value_delimiter = ',', value_name = "TYPES")]
    pub pkg_types: Vec<String>,
    /// Leave out packages found only under directories matching these globs (`**` spans
    /// directories, `*` stays in one): `--skip-dirs '**/tests/fixtures'`. Repeatable.
    #[arg(long, value_delimiter = ',', value_name = "GLOB")]
    pub skip_dirs: Vec<String>,
    /// Leave out packages found only in files matching these globs. Repeatable.
    #[arg(long, value_delimiter = ',', value_name = "GLOB")]
    pub skip_files: Vec<String>,
    /// Give up with exit status 2 when the scan takes longer: `300s`, `10m`, `1h30m`.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<std::time::Duration>,
    /// Accepted for Trivy's CI lines; drydock has no end-of-life data for distributions yet,
    /// and says so.
    #[arg(long, value_name = "N")]
    pub exit_on_eol: Option<u8>,
    /// No-op: drydock's JSON always lists every package.
    #[arg(long)]
    pub list_all_pkgs: bool,
    /// No-op: scans show no progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// No-op: a scan never updates the DB (`drydock db update` does).
    #[arg(long)]
    pub skip_db_update: bool,
    /// No-op: the old name of `--skip-db-update`.
    #[arg(long)]
    pub skip_update: bool,
    /// No-op: there is no separate Java DB.
    #[arg(long)]
    pub skip_java_db_update: bool,
    /// No-op: a scan goes online only to pull a registry image.
    #[arg(long)]
    pub offline_scan: bool,
}

/// Go-style durations as Trivy takes them: `90s`, `10m`, `1h30m`, `5m0s`, `500ms`.
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let bad = || format!("invalid duration `{s}` (e.g. `300s`, `10m`, `1h30m`)");
    let mut rest = s.trim();
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let split = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let (num, tail) = rest.split_at(split);
        let n: f64 = num.parse().map_err(|_| bad())?;
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(tail.len());
        let (unit, next) = tail.split_at(unit_len);
        let secs = match unit {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 0.001,
            _ => return Err(bad()),
        };
        total += n * secs;
        rest = next;
    }
    Ok(std::time::Duration::from_secs_f64(total))
}

impl TrivyArgs {
    /// Reads `--scanners` (Trivy's names; `vuln` when not given). `--dockerfile` needs a
    /// scanner that reads it.
    fn check_scanners(&self) -> anyhow::Result<drydock_scan::Scanners> {
        let scanners = drydock_scan::Scanners::parse(&self.scanners)
            .map_err(|e| anyhow::anyhow!("`--scanners`: {e}"))?;
        if self.dockerfile.is_some() && !scanners.checks() {
            anyhow::bail!(
                "`--dockerfile` is checked by `--scanners misconfig` or `secret` (e.g. `--scanners vuln,misconfig,secret`)"
            );
        }
        Ok(scanners)
    }
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

/// `drydock image`'s TARGET: images, archives and SBOMs (never a directory: `drydock fs`).
pub const IMAGE_TARGET_HELP: &str = "What to scan: a docker-archive (`docker save` output, .tar or .tar.gz), an OCI layout directory (`LAYOUT` or `LAYOUT:TAG`), an OCI archive, a root filesystem tarball, an SBOM (CycloneDX 1.4–1.7 or SPDX 2.3 JSON), or an image in a registry (`alpine`, `ghcr.io/org/app:1.0`, `host:5000/app@sha256:…`), pulled without a Docker daemon. A directory is `drydock fs`.";

/// `drydock fs`'s TARGET.
pub const FS_TARGET_HELP: &str = "The directory to scan: a project checkout (lockfiles, manifests, binaries) or an unpacked root filesystem (package databases too).";

/// `drydock fs --help`'s examples.
pub const FS_AFTER_HELP: &str =
    "Exit codes: 0 when nothing fails the gate, the `--exit-code` value when something does,
2 for usage and input errors (one line on stderr). A directory with no package drydock recognises
is reported with a warning (\"no packages found\"), never as a silent pass.

Examples:
  drydock fs .
  drydock fs . --skip-dirs '**/tests/fixtures' --severity HIGH,CRITICAL --exit-code 1
  drydock fs ./rootfs --format json=report.json --format table
  drydock fs . --format sarif --output drydock.sarif
  drydock fs . --scanners vuln,misconfig,secret --fail-on HIGH   # also the Dockerfiles it finds
  drydock fs ./monorepo --max-packages 500000 --max-document-size 128MiB   # bounds: docs/limits.md";

pub fn run(args: ScanArgs, kind: Kind, platform_explicit: bool) -> anyhow::Result<ExitCode> {
    if args.target.clear_caches(&args.db)? {
        return Ok(ExitCode::SUCCESS);
    }
    args.trivy.check_scanners()?;
    if kind == Kind::Fs && args.attest.key.is_some() {
        anyhow::bail!("`--attest` signs a scan of an image: use it with `drydock image`");
    }
    if let Some(limit) = args.trivy.timeout {
        // Trivy's `--timeout`: the whole scan, reading and matching included.
        std::thread::spawn(move || {
            std::thread::sleep(limit);
            eprintln!(
                "drydock: error: the scan did not finish within {:?} (--timeout)",
                limit
            );
            std::process::exit(2);
        });
    }
    if args.trivy.exit_on_eol.is_some() {
        tracing::warn!(
            "--exit-on-eol: drydock has no end-of-life data for distributions yet; it has no effect"
        );
    }
    let sinks = args.output.sinks(SCAN_FORMATS)?;
    let mut settings = settings(&args)?;
    let triage = args.gate.triage(&mut settings)?;
    let db = open_db(&args.db, args.db_max_age)?;
    let spec = args.target.spec(platform_explicit)?;
    let mut outcome = drydock_scan::scan(&spec, kind, &db, &settings)?;
    report_unused_triage(triage.as_deref(), &mut outcome.report);
    output::write_all(&outcome.report, &sinks, args.gate.show_suppressed)?;
    super::attest::after_scan(
        &args.attest,
        &spec.target,
        &outcome.report,
        db.path(),
        &spec.registry,
        sinks.iter().find_map(|s| s.path.as_deref()),
    )?;
    // Files the failure issue when the gate failed, closes it when the gate passed.
    super::track::file_failure(&args.fail_issue, &outcome.report)?;
    Ok(exit_code(&args, outcome.gate_failed))
}

/// The exit code for a gate outcome: `--exit-code`, else 1 with `--fail-on`, else 0.
pub fn exit_code(args: &ScanArgs, failed: bool) -> ExitCode {
    args.gate.exit_code(failed)
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
        gate_requested: args.gate.gate_requested() || args.fail_on_warnings,
        today: None,
        suppressor: None,
        releases: Vec::new(),
        pkg_types: drydock_scan::PkgTypes::parse(&args.trivy.pkg_types)
            .map_err(|e| anyhow::anyhow!("`--pkg-types`: {e}"))?,
        skip: drydock_scan::SkipPaths::new(&args.trivy.skip_dirs, &args.trivy.skip_files),
        scanners: args.trivy.check_scanners()?,
        checks: drydock_scan::CheckSettings {
            dockerfile: args.trivy.dockerfile.clone(),
            limits: None,
        },
        quiet_coverage: false,
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
    let vex = args
        .vex
        .iter()
        .map(|p| VexDoc::load(p))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Policy {
        ignore_unfixed: args.ignore_unfixed,
        linked_only: args.linked_only,
        vex,
        fixable_only: args.fixable_only,
        severity_source: match args.severity_source {
            SeveritySourceArg::Base => SeveritySourceChoice::Base,
            SeveritySourceArg::Environmental => SeveritySourceChoice::Environmental,
        },
        ..args.gate.policy()?
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
