//! `drydock config DOCKERFILE|DIR…`: misconfiguration and secret checks on Dockerfiles, and,
//! with `--image`, on an image's config, history and layer files. (Issue 19; the checks live
//! in drydock-misconfig.)

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use drydock_misconfig::{MisconfigFinding, Options, Severity};

/// Check Dockerfiles (and optionally an image) for misconfigurations and secrets: root
/// users, secrets in ENV/ARG/history/files, `curl | sh`, unpinned bases, structure errors.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "\
Examples:
  drydock config Dockerfile
  drydock config .                                  # every Dockerfile under the directory
  drydock config Dockerfile --severity HIGH,CRITICAL --exit-code 1
  drydock config --image app.tar                    # config, history and layer files
  drydock config --image ./layout:1.0 Dockerfile --scanners secret --format json

Each finding has a check id (DD-1xx Dockerfile/config, DD-2xx Dockerfile structure, DD-3xx
files), a severity judged by exploitability, evidence (file:line, config field, history
entry, or layer and path) and a fix. Secret values are shown masked. See docs/misconfig.md.")]
pub struct ConfigArgs {
    /// Dockerfiles, or directories searched for `Dockerfile`, `*.Dockerfile`, `Dockerfile.*`.
    pub paths: Vec<PathBuf>,
    /// Also check an image (archive, OCI layout, `LAYOUT:TAG`): its config, history and files.
    #[arg(long, value_name = "IMAGE")]
    pub image: Option<String>,
    /// Which checks: misconfig, secret, or both (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "misconfig,secret")]
    pub scanners: Vec<Scanner>,
    /// Only these severities (comma-separated), e.g. `HIGH,CRITICAL`.
    #[arg(long, value_delimiter = ',', value_parser = parse_severity)]
    pub severity: Vec<Severity>,
    /// Exit with this code when any finding (after --severity) remains.
    #[arg(long, default_value_t = 0)]
    pub exit_code: u8,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Largest layer file read for secrets, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    pub secret_max_file: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scanner {
    Misconfig,
    Secret,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    match s.trim().to_ascii_uppercase().as_str() {
        "INFO" | "UNKNOWN" => Ok(Severity::Info),
        "LOW" => Ok(Severity::Low),
        "MEDIUM" => Ok(Severity::Medium),
        "HIGH" => Ok(Severity::High),
        "CRITICAL" => Ok(Severity::Critical),
        other => Err(format!(
            "`{other}` is not a severity (INFO, LOW, MEDIUM, HIGH, CRITICAL)"
        )),
    }
}

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

#[derive(Debug, serde::Serialize)]
struct Output<'a> {
    findings: &'a [MisconfigFinding],
    warnings: &'a [String],
}

pub fn run(a: ConfigArgs) -> anyhow::Result<ExitCode> {
    if a.paths.is_empty() && a.image.is_none() {
        bail!("nothing to check: give a Dockerfile, a directory, or --image");
    }
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
    let misconfig = a.scanners.contains(&Scanner::Misconfig);
    let secret = a.scanners.contains(&Scanner::Secret);
    let mut findings = Vec::new();
    let mut warnings = Vec::new();
    for d in &dockerfiles {
        let o = drydock_misconfig::scan_dockerfile(d)
            .with_context(|| format!("cannot check `{}`", d.display()))?;
        findings.extend(o.findings);
        warnings.extend(o.warnings);
    }
    if let Some(image) = &a.image {
        let target = drydock_image::open(image, &drydock_image::OpenOptions::default())
            .with_context(|| format!("cannot open `{image}`"))?;
        let opts = Options {
            misconfig,
            secret,
            image_path: Some(PathBuf::from(image)),
            dockerfile: None,
            limits: drydock_misconfig::FileLimits {
                max_file_size: a.secret_max_file,
                ..Default::default()
            },
        };
        let o = drydock_misconfig::scan_image(&target, &opts)
            .with_context(|| format!("cannot check `{image}`"))?;
        findings.extend(o.findings);
        warnings.extend(o.warnings);
    }
    findings.retain(|f| {
        (if drydock_misconfig::is_secret_check(&f.id) {
            secret
        } else {
            misconfig
        }) && (a.severity.is_empty() || a.severity.contains(&f.severity))
    });
    drydock_misconfig::sort(&mut findings);
    for w in &warnings {
        tracing::warn!("{w}");
    }
    let mut stdout = std::io::stdout().lock();
    match a.format {
        Format::Json => {
            serde_json::to_writer_pretty(
                &mut stdout,
                &Output {
                    findings: &findings,
                    warnings: &warnings,
                },
            )?;
            writeln!(stdout)?;
        }
        Format::Table => {
            if findings.is_empty() {
                writeln!(stdout, "No misconfigurations or secrets found.")?;
            }
            for f in &findings {
                writeln!(
                    stdout,
                    "{:<8} {}  {}  {}",
                    f.severity,
                    f.id,
                    f.evidence.location(),
                    f.title
                )?;
                writeln!(stdout, "         fix: {}", f.fix)?;
            }
            if !findings.is_empty() {
                let count = |s| findings.iter().filter(|f| f.severity == s).count();
                writeln!(
                    stdout,
                    "\n{} findings (CRITICAL {}, HIGH {}, MEDIUM {}, LOW {}, INFO {})",
                    findings.len(),
                    count(Severity::Critical),
                    count(Severity::High),
                    count(Severity::Medium),
                    count(Severity::Low),
                    count(Severity::Info)
                )?;
            }
        }
    }
    Ok(if !findings.is_empty() && a.exit_code != 0 {
        ExitCode::from(a.exit_code)
    } else {
        ExitCode::SUCCESS
    })
}
