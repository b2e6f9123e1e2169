//! `drydock config DOCKERFILE|DIR…`: misconfiguration and secret checks on Dockerfiles, and,
//! with `--image`, on an image's config, history and layer files. (Issue 19; the checks live
//! in drydock-misconfig.) The results go through the scan pipeline of `drydock image` and
//! `drydock fs --scanners misconfig,secret` without its vulnerability matching: the same
//! policy (ignore file, `--severity`, `--fail-on`), `--store` triage, gate and report formats.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use drydock_report::Format;
use drydock_scan::{CheckSettings, Kind, ScanOutcome, ScanSettings, Scanners, TargetSpec};

use super::output::{self, OutputArgs};
use super::scan::{GateArgs, report_unused_triage};

/// Check Dockerfiles (and optionally an image) for misconfigurations and secrets: root
/// users, secrets in ENV/ARG/history/files, `curl | sh`, unpinned bases, structure errors.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "\
Exit codes: 0 when nothing fails the gate, the `--exit-code` value when something does (1
with `--fail-on` alone), 2 for usage and input errors (one line on stderr).

Examples:
  drydock config Dockerfile
  drydock config .                                  # every Dockerfile under the directory
  drydock config Dockerfile --fail-on HIGH          # exit 1 on a HIGH or CRITICAL finding
  drydock config Dockerfile --severity HIGH,CRITICAL --exit-code 1
  drydock config Dockerfile --ignore-file .trivyignore   # DS002, DD-101 or a fingerprint
  drydock config Dockerfile --format sarif --output drydock.sarif
  drydock config Dockerfile --format json=report.json --format table
  drydock config . --store history.db               # apply recorded triage
  drydock config --image app.tar                    # config, history and layer files
  drydock config --image ./layout:1.0 Dockerfile --scanners secret --format json

Each finding has a check id (DD-1xx Dockerfile/config, DD-2xx Dockerfile structure, DD-3xx
files), a severity judged by exploitability, evidence (file:line, config field, history
entry, or layer and path), a fix and a fingerprint. Secret values are shown masked. Without
`--ignore-file`, `.drydockignore.yaml`, `.trivyignore` and `.trivyignore.yaml` in the current
directory apply, as for `drydock image` and `drydock fs`. `drydock fs DIR --scanners
misconfig,secret` reports the same findings along with the rest of a scan. See
docs/misconfig.md.")]
pub struct ConfigArgs {
    /// Dockerfiles (any name), or directories searched for `Dockerfile`, `Containerfile`,
    /// `*.Dockerfile`, `Dockerfile.*`.
    pub paths: Vec<PathBuf>,
    /// Also check an image (archive, OCI layout, `LAYOUT:TAG`): its config, history and files.
    #[arg(long, value_name = "IMAGE")]
    pub image: Option<String>,
    /// Which checks: misconfig, secret, or both (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "misconfig,secret")]
    pub scanners: Vec<Scanner>,
    #[command(flatten)]
    pub gate: GateArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Largest layer file read for secrets, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    pub secret_max_file: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scanner {
    Misconfig,
    Secret,
}

/// The formats that show misconfigurations and secrets: every scan format but SPDX (an SBOM
/// of packages; a Dockerfile has none).
const CONFIG_FORMATS: &[Format] = &[
    Format::Table,
    Format::Json,
    Format::Sarif,
    Format::CycloneDx,
    Format::Csv,
    Format::Markdown,
    Format::Html,
    Format::Junit,
    Format::TrivyJson,
];

/// Dockerfiles under `dir`, sorted; `.git`, `node_modules` and `target` are not entered.
fn find_dockerfiles(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) -> anyhow::Result<()> {
    if depth > 32 {
        return Ok(());
    }
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read `{}`", dir.display()))?
        .filter_map(Result::ok)
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            if !matches!(name.as_str(), ".git" | "node_modules" | "target") {
                find_dockerfiles(&e.path(), out, depth + 1)?;
            }
        } else if ft.is_file()
            && (name == "Dockerfile"
                || name == "Containerfile"
                || name.ends_with(".Dockerfile")
                || name.starts_with("Dockerfile."))
        {
            out.push(e.path());
        }
    }
    Ok(())
}

/// The reports of the Dockerfiles and of the image as one: their targets side by side, the
/// gate failed when either failed. An ignore entry is reported unused only when neither used it.
fn merge(outcomes: Vec<ScanOutcome>) -> Option<ScanOutcome> {
    let mut it = outcomes.into_iter();
    let mut out = it.next()?;
    for o in it {
        let r = o.report;
        let unused =
            |n: &drydock_policy::PolicyNotice| n.kind == drydock_policy::PolicyNoticeKind::Unused;
        out.report
            .policy_notices
            .retain(|n| !unused(n) || r.policy_notices.contains(n));
        for n in r.policy_notices {
            if !unused(&n) && !out.report.policy_notices.contains(&n) {
                out.report.policy_notices.push(n);
            }
        }
        out.report.targets.extend(r.targets);
        out.report.errors.extend(r.errors);
        out.gate_failed |= o.gate_failed;
        if let (Some(g), Some(other)) = (&mut out.report.gate, r.gate) {
            g.counted += other.counted;
            g.failed = out.gate_failed;
        }
    }
    Some(out)
}

pub fn run(a: ConfigArgs) -> anyhow::Result<ExitCode> {
    if a.paths.is_empty() && a.image.is_none() {
        bail!("nothing to check: give a Dockerfile, a directory, or --image");
    }
    let sinks = a.output.sinks(CONFIG_FORMATS)?;
    let mut settings = ScanSettings {
        policy: a.gate.policy()?,
        gate_requested: a.gate.gate_requested(),
        scanners: Scanners {
            vuln: false,
            misconfig: a.scanners.contains(&Scanner::Misconfig),
            secret: a.scanners.contains(&Scanner::Secret),
        },
        checks: CheckSettings {
            dockerfile: None,
            limits: Some(drydock_misconfig::FileLimits {
                max_file_size: a.secret_max_file,
                ..Default::default()
            }),
        },
        ..ScanSettings::default()
    };
    let triage = a.gate.triage(&mut settings)?;
    let mut outcomes = Vec::new();
    if !a.paths.is_empty() {
        let mut dockerfiles = Vec::new();
        for p in &a.paths {
            if p.is_dir() {
                let before = dockerfiles.len();
                find_dockerfiles(p, &mut dockerfiles, 0)?;
                if dockerfiles.len() == before {
                    tracing::warn!("no Dockerfile under `{}`", p.display());
                }
            } else {
                dockerfiles.push(p.clone());
            }
        }
        let name: Vec<String> = a.paths.iter().map(|p| p.display().to_string()).collect();
        outcomes.push(drydock_scan::scan_dockerfiles(
            &name.join(", "),
            &dockerfiles,
            None,
            &settings,
        )?);
    }
    if let Some(image) = &a.image {
        let spec = TargetSpec::new(image.as_str());
        outcomes.push(drydock_scan::scan_checks(&spec, Kind::Any, &settings)?);
    }
    let mut outcome = merge(outcomes).context("nothing was checked")?;
    report_unused_triage(triage.as_deref(), &mut outcome.report);
    output::write_all(&outcome.report, &sinks, a.gate.show_suppressed)?;
    Ok(a.gate.exit_code(outcome.gate_failed))
}
